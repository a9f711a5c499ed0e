/**
 * The promise as a property, through the local runtime: for arbitrary rows with hostile values
 * (huge and tiny numbers, numeric strings, long non-ASCII strings, `#` `%` `~` in names and ids,
 * characters SQS refuses, alias collisions), every row is either rejected per row with a reason or
 * stored once and counted exactly, and another project's events sent at the same time are counted.
 * Stream batches are redelivered with varied boundaries all along.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DynamoKeyStore } from '../../lambdas/adapters/key-store.js';
import { createDocumentClient } from '../../lambdas/adapters/clients.js';
import { formatMicros, toMicros } from '../../lambdas/core/micro-units.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

const OTHER = { projectId: 'neighbour', writeKey: 'neighbour-write', secretKey: 'neighbour-secret' };
const REASONS = ['validation', 'too_old', 'too_large', 'unsupported', 'quota', 'cardinality', 'internal', 'conflict'];
const DAY_MS = 86_400_000;

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal({ faults: { seed: 5, streamRedelivery: 0.3 } });
  const keys = new DynamoKeyStore(createDocumentClient(local.config), local.config.keysTable!, 0);
  await keys.create(OTHER.writeKey, OTHER.projectId, 'write');
  await keys.create(OTHER.secretKey, OTHER.projectId, 'secret');
});
afterAll(async () => {
  await local?.close();
});

const hostileText = fc.oneof(
  fc.constantFrom('a#b', '%23', '~x', 'demo#b', 'é'.repeat(256), '界'.repeat(256), 'x'.repeat(300), '\ufffe', 'a\uffffb', '', ' ', 'id'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  fc.string({ minLength: 1, maxLength: 12 }),
);
const hostileNumber = fc.oneof(
  fc.constantFrom(1e16, 9e15, 1e-40, 1e12, -1e12, 1e125, 0.1, 0.000001, 0.0000005, '12.5', '1e3', 'NaN', ''),
  fc.double({ noNaN: true }),
  fc.integer(),
);
const row = fc.record(
  {
    event: hostileText,
    name: hostileText,
    deviceId: hostileText,
    source: hostileText,
    value: hostileNumber,
    price: hostileNumber,
    quantity: hostileNumber,
    eventId: hostileText,
    /** Milliseconds into the run's day. */
    offsetMs: fc.integer({ min: 0, max: DAY_MS - 1 }),
  },
  { requiredKeys: ['offsetMs'] },
);

type StoredEvent = { eventId: string; event: string; deviceId: string; source?: string; value?: number; timestamp: string };

async function storedEvents(key: string, dayMs: number): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let cursor: string | null = null;
  do {
    const reply = await request(
      `${local.url}/v1/events?from=${new Date(dayMs).toISOString()}&to=${new Date(dayMs + DAY_MS).toISOString()}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      { key },
    );
    expect(reply.status).toBe(200);
    events.push(...reply.body.events);
    cursor = reply.body.nextCursor;
  } while (cursor);
  return events;
}

/** Count, exact sum and unique devices per event of the day, computed from what was stored. */
function expectedSeries(events: readonly StoredEvent[], dayMs: number) {
  const points = new Map<string, { count: number; sum: bigint; devices: Set<string> }>();
  for (const e of events) {
    const point = points.get(e.event) ?? { count: 0, sum: 0n, devices: new Set<string>() };
    point.count++;
    point.sum += e.value === undefined ? 0n : toMicros(e.value)!;
    point.devices.add(e.deviceId);
    points.set(e.event, point);
  }
  const bucket = new Date(dayMs).toISOString();
  return [...points]
    .map(([event, p]) => ({ bucket, event, count: p.count, sumExact: formatMicros(p.sum), uniqueDevices: p.devices.size }))
    .sort((a, b) => a.event.localeCompare(b.event));
}

async function countedSeries(key: string, dayMs: number) {
  const reply = await request(
    `${local.url}/v1/aggregates?from=${new Date(dayMs).toISOString()}&to=${new Date(dayMs + DAY_MS).toISOString()}&granularity=day&groupBy=event`,
    { key },
  );
  expect(reply.status).toBe(200);
  return (reply.body.series as { bucket: string; event: string; count: number; sumExact: string; uniqueDevices: number }[])
    .map(({ bucket, event, count, sumExact, uniqueDevices }) => ({ bucket, event, count, sumExact, uniqueDevices }))
    .sort((a, b) => a.event.localeCompare(b.event));
}

let run = 0;
it('stores once and counts exactly every accepted row, or rejects it with a reason; the neighbour is counted too', {
  timeout: 1_500_000,
}, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 25 }), async (generated) => {
      const dayMs = dayOf(run++);
      const rows = generated.map(({ offsetMs, ...fields }) => ({ ...fields, timestamp: new Date(dayMs + offsetMs).toISOString() }));
      const neighbourRows = Array.from({ length: 10 }, (_, i) => ({
        event: 'neighbour-event',
        deviceId: `n-${i % 3}`,
        value: 1.5,
        timestamp: new Date(dayMs + i * 60_000).toISOString(),
      }));
      const [reply, neighbour] = await Promise.all([
        request(`${local.url}/v1/import`, { key: DemoProject.secretKey, body: { events: rows } }),
        request(`${local.url}/v1/import`, { key: OTHER.secretKey, body: { events: neighbourRows } }),
      ]);
      expect(reply.status).toBe(202);
      expect(neighbour.body).toEqual({ accepted: 10, rejected: [] });
      for (const rejection of reply.body.rejected) expect(REASONS).toContain(rejection.reason);
      expect(reply.body.accepted + reply.body.rejected.length).toBe(rows.length);

      // Settled: the events queue is empty (everything accepted is processed), and the counters equal what is
      // stored and hold still. Without the queue, a probe made before the processor ran saw nothing stored and
      // nothing counted, which agree.
      const settled = async (key: string) =>
        eventually(
          async () => {
            const { queue } = (await request(`${local.url}/local/stats`, { key })).body as { queue: { visible: number; inFlight: number } };
            const stored = await storedEvents(key, dayMs);
            return {
              queued: queue.visible + queue.inFlight,
              stored,
              expected: expectedSeries(stored, dayMs),
              counted: await countedSeries(key, dayMs),
              idle: local.streamIdle(),
            };
          },
          (s) => s.queued === 0 && s.idle && JSON.stringify(s.expected) === JSON.stringify(s.counted),
          300_000,
        );
      const mine = await settled(DemoProject.secretKey);
      const userEvents = mine.stored.filter((e) => e.event !== '$session_start');
      // Rows with the same id in one request are one event: stored once. Every accepted row maps to a stored event.
      expect(new Set(mine.stored.map((e) => e.eventId)).size).toBe(mine.stored.length);
      expect(userEvents.length).toBeLessThanOrEqual(reply.body.accepted);
      if (reply.body.accepted > 0) expect(userEvents.length).toBeGreaterThan(0);
      const theirs = await settled(OTHER.secretKey);
      expect(theirs.counted.find((p) => p.event === 'neighbour-event')).toMatchObject({ count: 10, sumExact: '15', uniqueDevices: 3 });
    }),
    { numRuns: 4, seed: 14, endOnFailure: true },
  );
});

/** Each run counts on days of its own, far in the past (`/v1/import` has no age floor). */
function dayOf(run: number): number {
  return Date.parse('2023-01-01T00:00:00Z') + run * DAY_MS;
}
