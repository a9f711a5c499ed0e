/** GET /v1/sessions' reading: it follows the listing's pages to the end, and refuses a range it would have to read too much of. */
import { describe, expect, it } from 'vitest';
import type { DayCursor } from '../../lambdas/core/day-range.js';
import type { EventFilter } from '../../lambdas/query/ports.js';
import type { StoredEvent } from '../../lambdas/core/types.js';
import { parseSessionQuery } from '../../lambdas/core/session-metrics.js';
import { sessionMetrics } from '../../lambdas/query/sessions.js';
import { ReadApi } from '../../resources/index.js';

const T0 = Date.parse('2024-01-20T10:00:00.000Z');

/** A listing over `count` events of one device, one session per 10 events, served in pages as the store serves them. */
function pagedStore(count: number, source?: (i: number) => string) {
  const filters: EventFilter[] = [];
  const events: StoredEvent[] = Array.from({ length: count }, (_, i) => ({
    projectId: 'p',
    eventId: `e-${i}`,
    event: 'tap',
    deviceId: 'd',
    sessionId: `s-${Math.floor(i / 10)}`,
    timestamp: new Date(T0 + i * 1000).toISOString(),
    originalTimestamp: new Date(T0 + i * 1000).toISOString(),
    receivedAt: new Date(T0).toISOString(),
    properties: {},
    ...(source ? { source: source(i), sessionId: `s-${i}` } : {}),
  }));
  const list = async (filter: EventFilter): Promise<{ events: StoredEvent[]; nextCursor?: DayCursor }> => {
    filters.push(filter);
    const offset = Number(filter.cursor?.after?.offset ?? 0);
    const page = events.slice(offset, offset + filter.limit);
    const next = offset + page.length;
    return next < events.length ? { events: page, nextCursor: { day: '2024-01-20', after: { offset: next } } } : { events: page };
  };
  return { list, filters };
}

describe('sessionMetrics', () => {
  it('reads every page of the range, for one device when asked, and summarizes all of it', async () => {
    const store = pagedStore(2_345);
    const query = parseSessionQuery({ from: '2024-01-20T00:00:00Z', to: '2024-01-21T00:00:00Z', deviceId: 'd', limit: '3' }, T0);
    const answer = await sessionMetrics('p', query, store);
    expect(store.filters.length).toBe(3);
    expect(store.filters.every((f) => f.deviceId === 'd' && f.projectId === 'p')).toBe(true);
    expect(answer.total).toMatchObject({ sessions: 235, events: 2_345, bounces: 0 });
    expect(answer.sessions.map((s) => s.sessionId)).toEqual(['s-234', 's-233', 's-232']);
    expect(answer.sessions[0]).toMatchObject({ events: 5, durationMs: 4000 });
  });

  it('refuses a range holding more stored events than it reads, naming the limit', async () => {
    const query = parseSessionQuery({ from: '2024-01-20T00:00:00Z', to: '2024-01-21T00:00:00Z' }, T0);
    await expect(sessionMetrics('p', query, pagedStore(ReadApi.maxSessionEventsRead + 1))).rejects.toMatchObject({
      status: 400,
      code: 'too_many_events',
    });
    await expect(sessionMetrics('p', query, pagedStore(ReadApi.maxSessionEventsRead))).resolves.toMatchObject({
      total: { events: ReadApi.maxSessionEventsRead },
    });
  });

  it('refuses an answer larger than a response carries, saying how to make it smaller', async () => {
    // Every event its own session from its own 200-byte source: grouped by source per hour, the series outgrows 5 MiB.
    const store = pagedStore(ReadApi.maxSessionEventsRead, (i) => `${'s'.repeat(190)}-${i}`);
    const bySource = parseSessionQuery(
      { from: '2024-01-20T00:00:00Z', to: '2024-01-21T00:00:00Z', granularity: 'hour', groupBy: 'source', limit: '0' },
      T0,
    );
    await expect(sessionMetrics('p', bySource, store)).rejects.toMatchObject({ status: 400, code: 'response_too_large' });
    const total = parseSessionQuery({ from: '2024-01-20T00:00:00Z', to: '2024-01-21T00:00:00Z', limit: '0' }, T0);
    await expect(sessionMetrics('p', total, store)).resolves.toMatchObject({ total: { sessions: ReadApi.maxSessionEventsRead } });
  });
});
