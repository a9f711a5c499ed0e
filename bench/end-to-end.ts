/**
 * Local end to end: N events through HTTP with concurrency C, then wait until every one is counted.
 * The workload is 500-byte events in batches of 50, 10 events per session. Then a steady load at
 * half the rate the backlog was counted at, for its freshness (bench/steady-load.ts). The same run
 * measures DynamoDB Local's raw write ceiling (BatchWriteItem of items of the same size), so the
 * pipeline's share of that ceiling is comparable across machines.
 */
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDocumentClient } from '../lambdas/adapters/clients.js';
import { DynamoKeyStore } from '../lambdas/adapters/key-store.js';
import { EnvNames, LakeLayout } from '../resources/index.js';
import { startRuntime, type Runtime } from '../local/runtime.js';
import type { HottestKey } from '../local/hot-key-meter.js';
import { parquetRowCount } from '../lambdas/core/lake-parquet.js';
import { FileLakeObjects } from '../local/file-lake-objects.js';
import { measureDynamoBytesPerEvent, measureLake, type LakeMeasure } from './storage.js';
import { measureSteadyFreshness, percentile, type SteadyLoadResult } from './steady-load.js';
import { seededRandom } from '../local/seeded-random.js';
import { deviceContext, uuidOf, workloadEvent } from './workload-events.js';

export type EndToEndOptions = {
  events: number;
  concurrency: number;
  batchSize: number;
  eventsPerSession: number;
  eventBytes: number;
  /** How long the steady load at half the measured capacity lasts. */
  steadySeconds: number;
};

export type EndToEndResult = {
  events: number;
  sessions: number;
  acceptedPerSecond: number;
  secondsUntilCounted: number;
  countedPerSecond: number;
  freshnessP50Ms: number;
  freshnessP99Ms: number;
  rawWriteCeilingItemsPerSecond: number;
  /** Items the pipeline wrote per second (events, session starts, locks, markers, counters) over the raw ceiling. */
  shareOfRawCeiling: number;
  runtime: Pick<Runtime, 'calls' | 'invocations' | 'callsByFunction'>;
  /** The lake as the run left it, and once every day is compacted. */
  lake: LakeMeasure;
  /** DynamoDB bytes per stored event, item and index entry, with DynamoDB's per-item overhead. */
  dynamoBytesPerEvent: number;
  /** Items the run stored: events and their `session_start`s. */
  storedEvents: number;
  /** The hottest partition key of each kind, write and read units, and the single-project ceiling each implies (backlog run). */
  hotKeys: { write: HottestKey[]; read: HottestKey[] };
  /** Freshness at a steady load of half `countedPerSecond`, after the backlog run (its calls are not in `runtime`). */
  steady: SteadyLoadResult;
};

const SESSION_MS = 30 * 60_000;
const KEY = { write: 'bench-write-key', secret: 'bench-secret-key', project: 'bench' };

/**
 * `prefix` keeps the ids and devices of one run's phases apart. Each batch is one device: its
 * SDK context is the device's, its events are varied (bench/workload-events.ts) and `eventBytes` long as JSON.
 */
function buildBatches(
  options: Pick<EndToEndOptions, 'events' | 'batchSize' | 'eventsPerSession' | 'eventBytes'>,
  now: number,
  prefix = 'bench',
) {
  const batches: object[][] = [];
  const sessionsPerBatch = options.batchSize / options.eventsPerSession;
  const random = seededRandom(prefix.length);
  // Sessions are 30-minute buckets going back from an hour ago, so every event is within the 5-day floor.
  const start = Math.floor((now - 3_600_000) / SESSION_MS) * SESSION_MS;
  for (let b = 0; b < options.events / options.batchSize; b++) {
    const deviceId = `${prefix}-${uuidOf(random)}`;
    const context = deviceContext(random);
    batches.push(
      Array.from({ length: options.batchSize }, (_, i) => {
        const session = Math.floor(i / options.eventsPerSession);
        const t = start - (sessionsPerBatch - session) * SESSION_MS + (i % options.eventsPerSession) * 60_000 + 1000;
        const fields = { eventId: uuidOf(random), deviceId, timestamp: new Date(t).toISOString(), purchase: i % 3 === 0, context };
        return workloadEvent(random, fields, options.eventBytes);
      }),
    );
  }
  return { batches, sessions: batches.length * sessionsPerBatch };
}

export async function measureEndToEnd(options: EndToEndOptions): Promise<EndToEndResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tidemark-bench-'));
  // Quotas on, far above the run's rate: the limiter's own items are metered like every other key.
  const runtime = await startRuntime({ port: 0, dataDir, sqsConcurrency: 8, functionEnv: { [EnvNames.rateLimitPerSecond]: '100000' } });
  try {
    const keys = new DynamoKeyStore(createDocumentClient(runtime.config), runtime.config.keysTable!, 0);
    await keys.create(KEY.write, KEY.project, 'write');
    await keys.create(KEY.secret, KEY.project, 'secret');
    const now = Date.now();
    const { batches, sessions } = buildBatches(options, now);
    const expected = options.events + sessions;
    const auth = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

    // Accepted counts in acceptance order, to date each batch's arrival in the counters.
    const accepted: { at: number; cumulative: number }[] = [];
    let acceptedTotal = 0;
    const send = async (batch: object[]) => {
      const response = await fetch(`${runtime.url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: auth(KEY.write), 'content-type': 'application/json' },
        body: JSON.stringify({ events: batch }),
      });
      const body = (await response.json()) as { accepted: number };
      if (response.status !== 202 || body.accepted !== batch.length)
        throw new Error(`batch not accepted: ${response.status} ${JSON.stringify(body)}`);
    };
    const from = new Date(now - 7 * 86_400_000).toISOString().slice(0, 10);
    const to = new Date(now + 86_400_000).toISOString().slice(0, 10);
    const countedTotal = async () => {
      const response = await fetch(`${runtime.url}/v1/aggregates?from=${from}&to=${to}`, { headers: { authorization: auth(KEY.secret) } });
      const body = (await response.json()) as { series: { count: number }[] };
      return body.series.reduce((sum, point) => sum + point.count, 0);
    };
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        await send(batch);
        acceptedTotal += batch.length + batch.length / options.eventsPerSession;
        accepted.push({ at: performance.now(), cumulative: acceptedTotal });
      }
    };
    const polling = (async () => {
      const counted: { at: number; total: number }[] = [];
      for (;;) {
        const total = await countedTotal();
        counted.push({ at: performance.now(), total });
        if (total >= expected) return counted;
        if (performance.now() - started > 30 * 60_000) throw new Error(`not counted after 30 minutes: ${total} of ${expected}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const acceptedSeconds = (performance.now() - started) / 1000;
    const counted = await polling;
    const countedSeconds = (counted.at(-1)!.at - started) / 1000;

    // A batch is fresh at the first poll whose total covers everything accepted up to and including it.
    const freshness = accepted
      .map((a) => (counted.find((c) => c.total >= a.cumulative)?.at ?? counted.at(-1)!.at) - a.at)
      .sort((a, b) => a - b);

    const written = Object.entries(runtime.calls.requests)
      .filter(([op]) => /dynamodb\.(PutItem|UpdateItem|TransactWriteItems|BatchWriteItem)/.test(op))
      .reduce((sum, [, n]) => sum + n, 0);
    // The lake writer has its own mapping (a longer batching window): wait until it holds every event.
    const lakeStarted = performance.now();
    while (!runtime.lakeIdle() || (await lakeRowsWritten(runtime.lakeDir)) < expected) {
      if (performance.now() - lakeStarted > 10 * 60_000) throw new Error('the lake did not receive every event within 10 minutes');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const dynamoBytesPerEvent = await measureDynamoBytesPerEvent(runtime.dynamodbEndpoint, runtime.config.eventsTable!);
    const lake = await measureLake(runtime.lakeDir, Date.now());
    const backlog = {
      calls: structuredClone(runtime.calls),
      invocations: structuredClone(runtime.invocations),
      callsByFunction: structuredClone(runtime.callsByFunction),
      hotKeys: { write: runtime.hotKeys.hottest(options.events, 'write'), read: runtime.hotKeys.hottest(options.events, 'read') },
    };
    const countedPerSecond = options.events / countedSeconds;
    const steadyBatches = Math.max(1, Math.round(((countedPerSecond / 2) * options.steadySeconds) / options.batchSize));
    const steady = await measureSteadyFreshness({
      batches: buildBatches({ ...options, events: steadyBatches * options.batchSize }, now, 'steady').batches,
      eventsPerBatch: options.batchSize,
      countedPerBatch: options.batchSize + options.batchSize / options.eventsPerSession,
      eventsPerSecond: countedPerSecond / 2,
      send,
      countedTotal,
      baseline: expected,
    });
    const ceiling = await rawWriteCeiling(
      runtime.dynamodbEndpoint,
      options.concurrency,
      options.eventBytes,
      Math.min(20_000, options.events),
    );
    return {
      events: options.events,
      sessions,
      acceptedPerSecond: Math.round(options.events / acceptedSeconds),
      secondsUntilCounted: Number(countedSeconds.toFixed(1)),
      countedPerSecond: Math.round(countedPerSecond),
      freshnessP50Ms: Math.round(percentile(freshness, 50)),
      freshnessP99Ms: Math.round(percentile(freshness, 99)),
      rawWriteCeilingItemsPerSecond: Math.round(ceiling),
      shareOfRawCeiling: Number((written / countedSeconds / ceiling).toFixed(3)),
      runtime: { calls: backlog.calls, invocations: backlog.invocations, callsByFunction: backlog.callsByFunction },
      lake,
      dynamoBytesPerEvent: Math.round(dynamoBytesPerEvent),
      storedEvents: expected,
      hotKeys: backlog.hotKeys,
      steady,
    };
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Rows in the lake's raw files so far (copies included; the run makes none). */
async function lakeRowsWritten(lakeDir: string): Promise<number> {
  const lake = new FileLakeObjects(lakeDir);
  let rows = 0;
  for (const key of await lake.list(`${LakeLayout.eventsPrefix}/`)) rows += parquetRowCount(await lake.get(key));
  return rows;
}

/** Items per second that plain BatchWriteItem of same-size items reaches on this DynamoDB Local. */
async function rawWriteCeiling(endpoint: string, concurrency: number, itemBytes: number, items: number): Promise<number> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  const documents = DynamoDBDocumentClient.from(client);
  const table = `bench-ceiling-${Date.now()}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  const padding = 'x'.repeat(itemBytes);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items) {
        const first = next;
        next += 25;
        const requests = Array.from({ length: Math.min(25, items - first) }, (_, i) => ({
          PutRequest: { Item: { pk: `item-${first + i}`, padding } },
        }));
        let pending: Record<string, typeof requests> | undefined = { [table]: requests };
        while (pending && Object.keys(pending).length > 0) {
          const result = await documents.send(new BatchWriteCommand({ RequestItems: pending }));
          pending = result.UnprocessedItems as typeof pending;
        }
      }
    }),
  );
  const perSecond = items / ((performance.now() - started) / 1000);
  await client.send(new DeleteTableCommand({ TableName: table }));
  client.destroy();
  return perSecond;
}
