/**
 * Counters against a ground truth computed here: a mixed workload with resends, then the same
 * under an aggregator that crashes at random points and stream batches delivered twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/clients.js';
import { DynamoKeyStore } from '../../lambdas/adapters/key-store.js';
import { GroundTruth } from '../../chaos/ground-truth.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

const DAY = 86_400_000;
const START = Date.parse('2024-03-10T00:00:00Z');
const RANGE = `from=2024-03-10T00:00:00Z&to=2024-03-13T00:00:00Z`;
const EVENTS = ['purchase', 'view', 'signup'];
const SOURCES = ['ios', 'web', undefined];

/**
 * A deterministic mixed workload: several events, sources, devices, hours and days, in time order as
 * an SDK sends it (a session_start takes the source of the first event seen in its session).
 */
function workload(size: number, seed: number) {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: size }, (_, i) => {
    const source = SOURCES[Math.floor(next() * SOURCES.length)];
    return {
      eventId: `w${seed}-${i}`,
      event: EVENTS[Math.floor(next() * EVENTS.length)]!,
      deviceId: `dev-${Math.floor(next() * 30)}`,
      ...(source ? { source } : {}),
      value: Math.round(next() * 10_000) / 100,
      timestamp: new Date(START + Math.floor((next() * 3 * DAY) / 1000) * 1000 + 500).toISOString(),
    };
  }).sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}

async function sendAll(local: LocalHarness, rows: ReturnType<typeof workload>, truth: GroundTruth) {
  for (let i = 0; i < rows.length; i += 250) {
    const chunk = rows.slice(i, i + 250);
    const reply = await request(`${local.url}/v1/import`, { key: DemoProject.secretKey, body: { events: chunk } });
    expect(reply.body.rejected).toEqual([]);
    for (const row of chunk) truth.add(row.eventId, row);
  }
}

const aggregates = (local: LocalHarness, query: string, key: string = DemoProject.secretKey) =>
  request(`${local.url}/v1/aggregates?${RANGE}&${query}`, { key });

async function expectCountersEqualTruth(local: LocalHarness, truth: GroundTruth) {
  const total = truth.withSessionStarts().length;
  await eventually(
    async () => (await aggregates(local, 'granularity=day')).body.series as { count: number }[],
    (series) => series.reduce((sum, p) => sum + p.count, 0) === total,
    // A budget, not an assertion: on a shared 2-core machine the pipeline may take minutes.
    240_000,
  );
  // Let retries and duplicate deliveries settle, then every view must match exactly.
  await eventually(
    async () => local.streamIdle(),
    (idle) => idle,
    30_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const granularity of ['hour', 'day'] as const) {
    for (const groupBy of ['none', 'event', 'source'] as const) {
      const reply = await aggregates(local, `granularity=${granularity}&groupBy=${groupBy}`);
      expect(reply.status).toBe(200);
      expect(reply.body.series, `${granularity}/${groupBy}`).toEqual(truth.series(granularity, groupBy));
    }
  }
  const one = await aggregates(local, 'granularity=day&event=purchase');
  expect(one.body.series).toEqual(truth.series('day', 'none', ['purchase']));
}

describe('counters under a mixed workload with resends', () => {
  let local: LocalHarness;
  beforeAll(async () => {
    local = await startLocal();
  });
  afterAll(async () => {
    await local?.close();
  });

  it('equal the ground truth', { timeout: 360_000 }, async () => {
    const truth = new GroundTruth();
    const rows = workload(1200, 7);
    await sendAll(local, rows, truth);
    await sendAll(local, rows.slice(0, 400), truth); // resent: must change nothing
    await expectCountersEqualTruth(local, truth);
  });

  it('answer every parameter and reject bad ones with 400', async () => {
    const hourly = await aggregates(local, 'granularity=hour&event=view,signup&groupBy=event');
    expect(hourly.body).toMatchObject({ granularity: 'hour', from: '2024-03-10T00:00:00.000Z', to: '2024-03-13T00:00:00.000Z' });
    for (const point of hourly.body.series) {
      expect(['view', 'signup']).toContain(point.event);
      expect(point.bucket).toMatch(/T\d\d:00:00\.000Z$/);
      expect(point).not.toHaveProperty('uniqueDevices');
    }
    for (const bad of ['granularity=minute', 'groupBy=device', 'from=x', 'to=2024-03-09T00:00:00Z']) {
      // A repeated parameter takes its last value, as API Gateway's queryStringParameters do.
      const reply = await request(`${local.url}/v1/aggregates?${RANGE}&${bad}`, { key: DemoProject.secretKey });
      expect(reply.status, bad).toBe(400);
    }
    // A misspelt filter is refused, never read as "no filter" (the total of every event under a 200).
    for (const [path, typo] of [
      ['/v1/aggregates', `${RANGE}&events=view`],
      ['/v1/aggregates', `${RANGE}&groupby=event`],
      ['/v1/events', 'device=d1'],
      ['/v1/sessions', 'deviceid=d1'],
      ['/v1/devices/d1', 'from=2024-03-09T00:00:00Z'],
    ] as const) {
      const reply = await request(`${local.url}${path}?${typo}`, { key: DemoProject.secretKey });
      expect([reply.status, reply.body.error], typo).toEqual([400, 'unknown_parameter']);
      expect(reply.body.message).toContain(`\`${typo.split('&').at(-1)!.split('=')[0]}\``);
    }
    const wide = await request(`${local.url}/v1/aggregates?from=2024-01-01T00:00:00Z&to=2024-03-01T00:00:00Z&granularity=hour`, {
      key: DemoProject.secretKey,
    });
    expect(wide.status).toBe(400);
    expect(wide.body.error).toBe('range_too_wide');
    expect((await request(`${local.url}/v1/aggregates?${RANGE}`, { key: DemoProject.writeKey })).status).toBe(403);
  });

  it('show a project only its own counters', async () => {
    const keys = new DynamoKeyStore(createDocumentClient(local.config), local.config.keysTable!, 0);
    await keys.create('agg-other-secret', 'agg-other', 'secret');
    const reply = await aggregates(local, 'granularity=day', 'agg-other-secret');
    expect(reply.status).toBe(200);
    expect(reply.body.series).toEqual([]);
  });
});

describe('counters under faults', () => {
  let local: LocalHarness;
  beforeAll(async () => {
    local = await startLocal({
      faults: { seed: 42, aggregateCrash: 0.5, streamRedelivery: 0.5 },
      streamRetryDelayMs: 10,
      streamBatchingWindowMs: 100,
    });
  });
  afterAll(async () => {
    await local?.close();
  });

  it('equal the ground truth when the aggregator crashes before, between and after its writes and half the batches are redelivered with other boundaries', {
    timeout: 360_000,
  }, async () => {
    const truth = new GroundTruth();
    await sendAll(local, workload(900, 11), truth);
    await expectCountersEqualTruth(local, truth);
    const { aggregateCrashBefore, aggregateCrashBetween, aggregateCrashAfter } = local.faults.counts;
    expect(aggregateCrashBefore + aggregateCrashBetween + aggregateCrashAfter).toBeGreaterThan(5);
    const { streamShorter, streamLonger, streamShifted, streamDuplicated, streamReplayed } = local.faults.counts;
    expect(streamShorter + streamLonger + streamShifted + streamDuplicated + streamReplayed).toBeGreaterThan(3);
  });
});
