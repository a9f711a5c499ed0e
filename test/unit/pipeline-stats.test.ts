/** The local Overview's figures, from the observers alone: per project, duplicates by cause, refusals. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { SYNTHETIC_SESSION_START, sessionStartEventId } from '../../lambdas/core/sessions.js';
import type { StoredEvent } from '../../lambdas/core/types.js';
import { PipelineStats } from '../../local/pipeline-stats.js';

const stored = (eventId: string, receivedAt: string, extra: Partial<StoredEvent> = {}): StoredEvent =>
  ({
    projectId: 'p',
    eventId,
    event: 'e',
    deviceId: 'd',
    sessionId: 's-1',
    timestamp: receivedAt,
    originalTimestamp: receivedAt,
    receivedAt,
    properties: {},
    ...extra,
  }) as StoredEvent;

describe('PipelineStats', () => {
  it('tells a redelivery (same request) from a client resend (a new request), and leaves session_start retries out', async () => {
    const stats = new PipelineStats();
    const firstReceived = new Map<string, string>();
    const store = stats.observeStore(
      {
        putIfAbsent: async (event) => {
          if (firstReceived.has(event.eventId)) return 'duplicate';
          firstReceived.set(event.eventId, event.receivedAt);
          return 'stored';
        },
      },
      async (_projectId, eventId) => firstReceived.get(eventId),
    );
    const start = stored(sessionStartEventId('d', 's-1'), '2024-01-01T00:00:00.000Z', { event: SYNTHETIC_SESSION_START });
    await store.putIfAbsent(start);
    await store.putIfAbsent(stored('a', '2024-01-01T00:00:00.000Z'));
    await store.putIfAbsent(stored('a', '2024-01-01T00:00:00.000Z'));
    await store.putIfAbsent(stored('a', '2024-01-01T00:05:00.000Z'));
    await store.putIfAbsent(start);
    expect(stats.snapshot('p').totals).toMatchObject({ stored: 1, sessionStarts: 1, redeliveries: 1, resends: 1 });
    expect(stats.snapshot('other').totals.stored).toBe(0);
  });

  it('lists a refused request under its project, and one without a known key apart', async () => {
    const stats = new PipelineStats(() => Date.parse('2024-01-01T00:00:00Z'));
    const refuse = (status: number, error: string) => async () => ({
      statusCode: status,
      body: JSON.stringify({ error, message: `${error}!` }),
    });
    const request = { path: '/v1/batch', queryStringParameters: null } as APIGatewayProxyEvent;
    await stats.observeIngest(refuse(415, 'unsupported_media_type'), async () => 'p')(request, {} as Context);
    await stats.observeIngest(refuse(401, 'unauthorized'), async () => undefined)(request, {} as Context);
    const snapshot = stats.snapshot('p');
    expect(snapshot.totals.refused).toBe(1);
    expect(snapshot.refusals).toEqual([
      {
        at: '2024-01-01T00:00:00.000Z',
        path: '/v1/batch',
        status: 415,
        error: 'unsupported_media_type',
        message: 'unsupported_media_type!',
      },
    ]);
    expect(snapshot.unattributedRefusals.map((r) => r.status)).toEqual([401]);
  });
});
