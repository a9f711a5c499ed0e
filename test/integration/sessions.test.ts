/**
 * Issue 17 through the local runtime: client sessions kept and scoped by device, session metrics
 * equal to a ground truth after every batch was sent twice, and time from stale-sentAt clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal();
});
afterAll(async () => {
  await local?.close();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIDEMARK_SDK = { library: { name: '@tidemark/sdk', version: '0.1.0' } };

/** 00:00 UTC of the day `daysAgo` days before today. */
const dayStart = (daysAgo: number) => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - daysAgo * DAY;
};
const iso = (ms: number) => new Date(ms).toISOString();

const send = (path: string, body: unknown, key: string = DemoProject.writeKey) => request(`${local.url}${path}`, { key, body });
const sessions = (query: string) => request(`${local.url}/v1/sessions?${query}`, { key: DemoProject.secretKey });

/** Every accepted message has been processed: nothing left in the queue, visible or in flight. */
const queueDrained = () =>
  eventually(
    async () =>
      (await request(`${local.url}/local/stats`, { key: DemoProject.secretKey })).body as { queue: { visible: number; inFlight: number } },
    (stats) => stats.queue.visible === 0 && stats.queue.inFlight === 0,
    60_000,
  );

type StoredEvent = { event: string; timestamp: string; originalTimestamp: string; receivedAt: string };
/** One device's stored events of a range, newest first. */
const storedOf = async (query: string): Promise<StoredEvent[]> =>
  (await request(`${local.url}/v1/events?${query}`, { key: DemoProject.secretKey })).body.events ?? [];

type Row = { eventId: string; event: string; deviceId: string; timestamp: string; sessionId?: string; source?: string; context?: unknown };

describe('sessions that follow real activity', () => {
  it('keeps one SDK session across 10:25-10:40, where 30-minute buckets would cut it in two', async () => {
    const day = dayStart(2);
    const times = [25, 30, 35, 40].map((m) => day + 10 * HOUR + m * MINUTE);
    const rows = (deviceId: string, sessionId?: string): Row[] =>
      times.map((t, i) => ({
        eventId: `${deviceId}-${i}`,
        event: 'screen',
        deviceId,
        timestamp: iso(t),
        context: TIDEMARK_SDK,
        ...(sessionId ? { sessionId } : {}),
      }));
    expect((await send('/v1/batch', { events: rows('sdk-phone', '0192f5e0-sdk-session'), sentAt: iso(Date.now()) })).body).toMatchObject({
      accepted: 4,
    });
    // The same activity from a client that sends no session id falls under the server's bucket rule.
    expect((await send('/v1/batch', { events: rows('gateway-7'), sentAt: iso(Date.now()) })).body).toMatchObject({ accepted: 4 });

    const range = `from=${iso(day)}&to=${iso(day + DAY)}`;
    const sdk = await eventually(
      () => sessions(`${range}&deviceId=sdk-phone`),
      (reply) => reply.body.total?.events === 4,
    );
    expect(sdk.body.sessions).toEqual([
      {
        deviceId: 'sdk-phone',
        sessionId: '0192f5e0-sdk-session',
        source: '@tidemark/sdk',
        start: iso(times[0]!),
        end: iso(times[3]!),
        durationMs: 15 * MINUTE,
        events: 4,
      },
    ]);
    const bucketed = await eventually(
      () => sessions(`${range}&deviceId=gateway-7`),
      (reply) => reply.body.total?.events === 4,
    );
    expect(bucketed.body.sessions.map((s: { start: string; events: number }) => [s.start, s.events])).toEqual([
      [iso(times[1]!), 3],
      [iso(times[0]!), 1],
    ]);
  });

  it('scopes a client session id by device end to end: one id on two devices is two sessions', async () => {
    const day = dayStart(2) + 15 * HOUR;
    const rows = ['tablet-a', 'tablet-b'].flatMap((deviceId) =>
      [0, 5].map((m) => ({
        eventId: `${deviceId}-shared-${m}`,
        event: 'tap',
        deviceId,
        sessionId: 'shared-id',
        timestamp: iso(day + m * MINUTE),
      })),
    );
    await send('/v1/batch', { events: rows });
    const reply = await eventually(
      () => sessions(`from=${iso(day)}&to=${iso(day + HOUR)}`),
      (r) => r.body.total?.events === 4,
    );
    expect(
      reply.body.sessions.map((s: { deviceId: string; sessionId: string; events: number }) => [s.deviceId, s.sessionId, s.events]).sort(),
    ).toEqual([
      ['tablet-a', 'shared-id', 2],
      ['tablet-b', 'shared-id', 2],
    ]);
  });

  it('serves sessions per day, average and median duration, events per session and bounce rate equal to a ground truth, every batch sent twice', {
    timeout: 180_000,
  }, async () => {
    const day = dayStart(3);
    const rows: Row[] = [];
    // A seeded generator, so a failure can be replayed.
    let seed = 17;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const sources = ['ios', 'android', undefined];
    for (let d = 0; d < 24; d++) {
      const deviceId = `gt-device-${d}`;
      const source = sources[d % 3];
      const withSessionIds = d % 2 === 0;
      let t = day + HOUR + Math.floor(random() * 4 * HOUR);
      let session = 0;
      for (let visit = 0; visit < 3 + Math.floor(random() * 3); visit++) {
        const events = random() < 0.3 ? 1 : 2 + Math.floor(random() * 6);
        for (let e = 0; e < events; e++) {
          rows.push({
            eventId: `${deviceId}-${rows.length}`,
            event: e === 0 ? 'open' : 'tap',
            deviceId,
            timestamp: iso(t),
            ...(withSessionIds ? { sessionId: `${deviceId}-s${session}` } : {}),
            ...(source ? { source } : {}),
          });
          t += Math.floor(random() * 9 * MINUTE);
        }
        session += 1;
        t += 40 * MINUTE + Math.floor(random() * 2 * HOUR);
      }
    }

    // Ground truth, computed here from what was sent: client ids per device, else 30-minute buckets (docs/sessions.md).
    const truth = new Map<string, { source: string | null; times: number[] }>();
    for (const row of rows) {
      const t = Date.parse(row.timestamp);
      const key = JSON.stringify([row.deviceId, row.sessionId ?? `bucket-${Math.floor(t / (30 * MINUTE))}`]);
      const entry = truth.get(key) ?? { source: row.source ?? null, times: [] };
      entry.times.push(t);
      truth.set(key, entry);
    }
    const expected = new Map<string | null, { durations: number[]; events: number; bounces: number }>();
    for (const { source, times } of truth.values()) {
      const group = expected.get(source) ?? { durations: [], events: 0, bounces: 0 };
      group.durations.push(Math.max(...times) - Math.min(...times));
      group.events += times.length;
      group.bounces += times.length === 1 ? 1 : 0;
      expected.set(source, group);
    }

    // Every batch twice: first in batches of 25, then again in other batches with another sentAt.
    for (let i = 0; i < rows.length; i += 25)
      expect((await send('/v1/batch', { events: rows.slice(i, i + 25), sentAt: iso(Date.now()) })).status).toBe(202);
    const resent = [...rows].reverse();
    for (let i = 0; i < resent.length; i += 40)
      expect((await send('/v1/batch', { events: resent.slice(i, i + 40), sentAt: iso(Date.now() + 1000) })).status).toBe(202);
    await queueDrained();

    const reply = await eventually(
      () => sessions(`from=${iso(day)}&to=${iso(day + DAY)}&granularity=day&groupBy=source&limit=0`),
      (r) => r.body.total?.events === rows.length,
    );
    const series = [...reply.body.series].sort((a: { source: string | null }, b: { source: string | null }) =>
      String(a.source).localeCompare(String(b.source)),
    );
    const want = [...expected.entries()]
      .map(([source, g]) => {
        const sorted = [...g.durations].sort((a, b) => a - b);
        const mid = Math.floor(sorted.length / 2);
        return {
          bucket: iso(day),
          source,
          sessions: sorted.length,
          events: g.events,
          bounces: g.bounces,
          bounceRate: g.bounces / sorted.length,
          averageDurationMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
          medianDurationMs: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2,
          eventsPerSession: g.events / sorted.length,
        };
      })
      .sort((a, b) => String(a.source).localeCompare(String(b.source)));
    expect(series).toEqual(want);
    expect(reply.body.total).toMatchObject({ sessions: truth.size, events: rows.length });
  });
});

describe('time from clients whose sentAt is stale', () => {
  it("keeps the events' own times in a Segment Kotlin batch whose sentAt was stamped 6 hours before it arrived", async () => {
    const now = Date.now();
    const batch = [6 * HOUR - MINUTE, 4 * HOUR, 2 * HOUR, 5 * MINUTE].map((ago, i) => ({
      type: 'track',
      event: 'Offline Action',
      messageId: `kotlin-${now}-${i}`,
      anonymousId: 'kotlin-phone',
      timestamp: iso(now - ago),
      context: { library: { name: 'analytics-kotlin', version: '1.15.0' } },
    }));
    expect((await send('/v1/batch', { batch, sentAt: iso(now - 6 * HOUR) })).body).toMatchObject({ accepted: 4, rejected: [] });
    const stored = await eventually(
      () => storedOf(`deviceId=kotlin-phone&event=Offline%20Action&from=${iso(now - DAY)}`),
      (events) => events.length === 4,
    );
    expect(stored.map((e) => e.timestamp).sort()).toEqual(batch.map((m) => m.timestamp).sort());
    for (const event of stored) expect(event.timestamp).toBe(event.originalTimestamp);
  });

  it('corrects a Tidemark SDK batch from a device whose clock is 2 hours behind', async () => {
    const deviceNow = Date.now() - 2 * HOUR;
    const events = [20, 10, 0].map((ago, i) => ({
      eventId: `slow-clock-${deviceNow}-${i}`,
      event: 'slow_clock_tap',
      deviceId: 'slow-clock-phone',
      timestamp: iso(deviceNow - ago * MINUTE),
      context: TIDEMARK_SDK,
    }));
    const sentAt = deviceNow + 1000;
    expect((await send('/v1/batch', { events, sentAt: iso(sentAt) })).body).toMatchObject({ accepted: 3 });
    const stored = await eventually(
      () => storedOf(`deviceId=slow-clock-phone&event=slow_clock_tap&from=${iso(deviceNow - HOUR)}`),
      (events) => events.length === 3,
    );
    for (const event of stored) {
      const shift = Date.parse(event.timestamp) - Date.parse(event.originalTimestamp);
      expect(shift).toBe(Date.parse(event.receivedAt) - sentAt);
      expect(shift).toBeGreaterThan(2 * HOUR - MINUTE);
      expect(Date.parse(event.timestamp)).toBeLessThanOrEqual(Date.parse(event.receivedAt));
    }
  });
});
