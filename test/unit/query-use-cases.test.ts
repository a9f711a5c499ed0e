/** The read API's rules at the use-case seam, against the read ports in memory. */
import { describe, expect, it } from 'vitest';
import { Limits } from '../../resources/index.js';
import { eventCounterPartition, eventNamesPartition } from '../../lambdas/core/item-keys.js';
import type { StoredEvent } from '../../lambdas/core/types.js';
import { listDeviceSessions, listEvents, listRejections, readAggregates, readDevice, type ReadRequest } from '../../lambdas/query/query.js';
import { normalizedEvent } from '../helpers/factories.js';
import { MemoryQueryPorts } from '../helpers/fakes.js';

const NOW = Date.parse('2024-01-20T12:00:00.000Z');
const request = (params: Record<string, string> = {}, projectId = 'p'): ReadRequest => ({ projectId, params, nowMs: NOW });

/** Stored event `i` of the project, `i` minutes before noon, in session `s-<i / 10>`. */
const storedEvent = (i: number, overrides: Partial<StoredEvent> = {}): StoredEvent => ({
  ...normalizedEvent({ eventId: `e-${i}`, timestamp: new Date(NOW - (i + 1) * 60_000).toISOString() }),
  projectId: 'p',
  sessionId: `s-${Math.floor(i / 10)}`,
  ...overrides,
});

/** Follows `nextCursor` to the end, collecting the event ids of every page. */
async function allPages(ports: MemoryQueryPorts, params: Record<string, string>) {
  const ids: string[][] = [];
  let cursor: string | null = null;
  do {
    const page = await listEvents(request(cursor ? { ...params, cursor } : params), ports);
    ids.push(page.events.map((e) => e.eventId));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

describe('listing events', () => {
  it('pages newest first through signed cursors, each event once, only the filtered device and only the project', async () => {
    const ports = new MemoryQueryPorts();
    ports.stored.push(...Array.from({ length: 25 }, (_, i) => storedEvent(i, { deviceId: i % 5 === 0 ? 'other' : 'd1' })));
    ports.stored.push(storedEvent(99, { projectId: 'q' }));
    const pages = await allPages(ports, { deviceId: 'd1', limit: '7' });
    expect(pages.map((page) => page.length)).toEqual([7, 7, 6]);
    const expected = Array.from({ length: 25 }, (_, i) => i)
      .filter((i) => i % 5 !== 0)
      .map((i) => `e-${i}`);
    expect(pages.flat()).toEqual(expected);
  });

  it('refuses a cursor issued for another filter or another project (400 invalid_cursor)', async () => {
    const ports = new MemoryQueryPorts();
    ports.stored.push(...Array.from({ length: 5 }, (_, i) => storedEvent(i)));
    const { nextCursor } = await listEvents(request({ limit: '2' }), ports);
    expect(nextCursor).toEqual(expect.any(String));
    const cursor = String(nextCursor);
    await expect(listEvents(request({ limit: '2', cursor, event: 'open' }), ports)).rejects.toMatchObject({
      status: 400,
      code: 'invalid_cursor',
    });
    await expect(listEvents(request({ limit: '2', cursor }, 'q'), ports)).rejects.toMatchObject({ status: 400, code: 'invalid_cursor' });
  });

  it('shortens a page that would outgrow a response, and the cursor goes on from the first event left out', async () => {
    const ports = new MemoryQueryPorts();
    const large = 'x'.repeat(Math.ceil(Limits.maxResponseBytes / 2.5));
    ports.stored.push(...Array.from({ length: 3 }, (_, i) => storedEvent(i, { properties: { large } })));
    expect(await allPages(ports, { limit: '3' })).toEqual([['e-0', 'e-1'], ['e-2']]);
  });
});

describe('a device', () => {
  it('answers its live state, and 404 not_found for a device never seen', async () => {
    const ports = new MemoryQueryPorts();
    ports.deviceStates.set('p|d1', { deviceId: 'd1', lastSeen: '2024-01-20T11:00:00.000Z', sessionId: 's-1' });
    await expect(readDevice({ ...request(), deviceId: 'd1' }, ports)).resolves.toMatchObject({ sessionId: 's-1' });
    await expect(readDevice({ ...request({}, 'q'), deviceId: 'd1' }, ports)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('has its sessions summarized from every page of its events, newest first', async () => {
    const ports = new MemoryQueryPorts();
    ports.stored.push(...Array.from({ length: 2_500 }, (_, i) => storedEvent(i % 1_400, { eventId: `e-${i}` })));
    const answer = await listDeviceSessions({ ...request({ from: '2024-01-18T00:00:00Z' }), deviceId: 'd1' }, ports);
    expect(ports.listed.length).toBe(3);
    expect(answer.nextCursor).toBeNull();
    expect(answer.sessions).toHaveLength(140);
    expect(answer.sessions[0]).toMatchObject({ sessionId: 's-0', events: 20 });
    expect(answer.sessions.at(-1)).toMatchObject({ sessionId: 's-139', events: 10 });
  });
});

describe('counters', () => {
  it("reads the counter shards of the project's recorded events in the range and sums them into the series", async () => {
    const ports = new MemoryQueryPorts();
    const row = { kind: 'count' as const, bucket: '2024-01-20', event: 'open', count: 3, sumMicros: 1_500_000n };
    ports.eventNamesByPartition.set(eventNamesPartition('p', '2024-01'), ['open', 'close']);
    ports.counterRows.set(eventCounterPartition('p', 'open', 'day', '2024-01-20', 0), [{ ...row, count: 1, sumMicros: 500_000n }]);
    ports.counterRows.set(eventCounterPartition('p', 'open', 'day', '2024-01-20', 3), [{ ...row, count: 2, sumMicros: 1_000_000n }]);
    ports.counterRows.set(eventCounterPartition('p', 'close', 'day', '2024-01-20', 1), [
      { ...row, event: 'close', count: 2, sumMicros: 0n },
    ]);
    ports.counterRows.set(eventCounterPartition('q', 'open', 'day', '2024-01-20', 0), [{ ...row, count: 100 }]);
    const answer = await readAggregates(request({ from: '2024-01-20T00:00:00Z', to: '2024-01-21T00:00:00Z', groupBy: 'event' }), ports);
    expect(answer.series).toEqual([
      { bucket: '2024-01-20T00:00:00.000Z', event: 'close', count: 2, sum: 0, sumExact: '0' },
      { bucket: '2024-01-20T00:00:00.000Z', event: 'open', count: 3, sum: 1.5, sumExact: '1.5' },
    ]);
  });
});

describe('rejections', () => {
  it('count the rows not kept past the daily cap over every day of the listed range, with the page', async () => {
    const ports = new MemoryQueryPorts();
    ports.notKeptByDay.set('p|2024-01-19', 4).set('p|2024-01-20', 3).set('p|2024-01-18', 50).set('q|2024-01-20', 9);
    const answer = await listRejections(request({ from: '2024-01-19T06:00:00Z' }), ports);
    expect(answer).toEqual({ rejections: [], nextCursor: null, notKept: 7 });
  });
});
