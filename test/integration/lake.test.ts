/**
 * The event lake through the local runtime: events sent, resent, and their stream records
 * redelivered with other batch boundaries appear once in `tidemark sql`, typed and in the right
 * partitions; `tidemark lake compact` leaves one file per closed project-day with the same rows.
 */
import { type AttributeValue, DescribeTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { createLakeHandler } from '../../lambdas/lake/handler.js';
import { encodeParquet } from '../../lambdas/core/lake-parquet.js';
import { parseObjectKey, rejectionObjectKey, rejectionRowOf } from '../../lambdas/core/lake-rows.js';
import { FileLakeObjects } from '../../local/file-lake-objects.js';
import { invoke } from '../../local/invoke.js';
import { toDynamoDbRecord } from '../../local/stream-poller.js';
import { LakeLayout, LakeRejectionColumns } from '../../resources/index.js';
import { DemoProject, dayRange, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

const DAY_MS = 86_400_000;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal({ streamBatchingWindowMs: 200 });
});
afterAll(async () => {
  await local?.close();
});

async function sql(statement: string): Promise<Record<string, unknown>[]> {
  const out: string[] = [];
  let err = '';
  const code = await runCli(['sql', statement, '--format', 'json', '--data-dir', local.dataDir], {
    out: (line) => out.push(line),
    err: (text) => (err += text),
    isTTY: false,
  });
  if (code !== 0) throw new Error(`tidemark sql failed (${code}): ${err}`);
  return out.map((line) => JSON.parse(line));
}

/** `tidemark rejections replay --reason too_old` for the demo project, the secret key from TIDEMARK_KEY (never the command line). */
async function replayTooOld(): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await runCli(['rejections', 'replay', '--project', 'demo', '--reason', 'too_old', '--data-dir', local.dataDir], {
    out: (line) => out.push(line),
    err: () => undefined,
    isTTY: false,
    env: { ...process.env, TIDEMARK_KEY: DemoProject.secretKey },
  });
  return { code, out: out.join('\n') };
}

/** Every record of the events table's stream, read from the start, as Lambda would receive them. */
async function streamRecords(): Promise<_Record[]> {
  const dynamo = new DynamoDBClient({ endpoint: local.dynamodbEndpoint, region: 'us-east-1', credentials });
  const streams = new DynamoDBStreamsClient({ endpoint: local.dynamodbEndpoint, region: 'us-east-1', credentials });
  try {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: local.config.eventsTable }));
    const streamArn = Table!.LatestStreamArn!;
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const records: _Record[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      let { ShardIterator: iterator } = await streams.send(
        new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        records.push(...(page.Records ?? []));
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return records.filter((r) => r.eventName === 'INSERT').map((r) => ({ ...r, eventSourceARN: streamArn }) as _Record);
  } finally {
    dynamo.destroy();
    streams.destroy();
  }
}

describe('the event lake', () => {
  const now = Date.now();
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  // Two closed days (an offline device's backlog) and today; `/v1/import` has no age floor.
  const times = [now - 3 * DAY_MS, now - 2 * DAY_MS, now - 2 * DAY_MS + 60_000, now - 1000];
  const events = Array.from({ length: 24 }, (_, i) => ({
    eventId: `lake-${i}-#ü`,
    event: i % 2 === 0 ? 'purchase' : 'screen #1',
    deviceId: `device-${i % 3}`,
    userId: i % 4 === 0 ? `user-${i}` : undefined,
    value: i % 2 === 0 ? i + 0.25 : undefined,
    timestamp: new Date(times[i % times.length]! + i).toISOString(),
    properties: { plan: 'pro', nested: { n: i } },
    context: { library: { name: 'tidemark-sdk', version: '1.0.0' }, os: { name: 'iOS' } },
  }));
  const expectedDays = new Map<string, number>();
  for (const e of events) expectedDays.set(day(Date.parse(e.timestamp)), (expectedDays.get(day(Date.parse(e.timestamp))) ?? 0) + 1);

  it('shows each event once, typed and partitioned, after resends and redelivery with other boundaries', async () => {
    // Prepare: sent, then resent whole (the conditional put stores nothing twice).
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await request(`${local.url}/v1/import`, { key: DemoProject.secretKey, body: { events } });
      expect(reply.status).toBe(202);
      expect(reply.body.accepted).toBe(events.length);
    }
    await eventually(
      () => sql(`SELECT count(*) AS n FROM events WHERE project = 'demo' AND eventid LIKE 'lake-%'`),
      (rows) => Number(rows[0]!.n) === events.length,
    );

    // Act: the stream delivered again to the lake writer, cut at other boundaries, overlapping.
    const records = (await streamRecords()).filter((r) => String(r.dynamodb?.NewImage?.eventId?.S).startsWith('lake-'));
    expect(records).toHaveLength(events.length);
    const handler = createLakeHandler(() => new FileLakeObjects(local.lakeDir));
    const lambdaRecords = records.map((r) => toDynamoDbRecord(r, String((r as { eventSourceARN?: string }).eventSourceARN)));
    for (const [from, to] of [
      [0, 7],
      [5, 20],
      [3, 24],
      [0, 24],
    ] as const) {
      await invoke('lake', handler, { Records: lambdaRecords.slice(from, to) }, 60);
    }

    // Assess: copies exist in the raw files, the view shows each event once.
    const [raw] = await sql(`SELECT count(*) AS n FROM events_raw WHERE eventid LIKE 'lake-%'`);
    expect(Number(raw!.n)).toBeGreaterThan(events.length);
    const [view] = await sql(`SELECT count(*) AS n, count(DISTINCT eventid) AS ids FROM events WHERE eventid LIKE 'lake-%'`);
    expect(Number(view!.n)).toBe(events.length);
    expect(Number(view!.ids)).toBe(events.length);

    const partitions = await sql(`SELECT project, dt, count(*) AS n FROM events WHERE eventid LIKE 'lake-%' GROUP BY ALL ORDER BY dt`);
    expect(partitions.map((p) => [p.project, p.dt, Number(p.n)])).toEqual([...expectedDays].sort().map(([d, n]) => ['demo', d, n]));

    const [types] = await sql(
      `SELECT typeof("timestamp") AS ts, typeof(receivedat) AS received, typeof(syncedat) AS synced, typeof(value) AS value, typeof(properties) AS props
       FROM events WHERE eventid = 'lake-0-#ü'`,
    );
    expect(types).toEqual({ ts: 'TIMESTAMP', received: 'TIMESTAMP', synced: 'TIMESTAMP', value: 'DOUBLE', props: 'VARCHAR' });
    const [first] = await sql(
      `SELECT event, deviceid, userid, value, strftime("timestamp", '%Y-%m-%dT%H:%M:%S.%g') AS ts, library, os, properties->>'$.nested.n' AS n FROM events WHERE eventid = 'lake-0-#ü'`,
    );
    expect(first).toEqual({
      event: 'purchase',
      deviceid: 'device-0',
      userid: 'user-0',
      value: 0.25,
      ts: events[0]!.timestamp.slice(0, 23),
      library: 'tidemark-sdk',
      os: 'iOS',
      n: '0',
    });
  });

  it('compacts each closed project-day into one file with the same rows', async () => {
    const snapshot = `SELECT eventid, event, value, "timestamp", dt FROM events WHERE eventid LIKE 'lake-%' ORDER BY eventid`;
    const before = await sql(snapshot);
    expect(before).toHaveLength(events.length);
    await eventually(
      async () => local.lakeIdle(),
      (idle) => idle,
    );

    const out: string[] = [];
    expect(
      await runCli(['lake', 'compact', '--data-dir', local.dataDir], { out: (l) => out.push(l), err: () => undefined, isTTY: false }),
    ).toBe(0);

    const today = day(now);
    const files = (await new FileLakeObjects(local.lakeDir).list(`${LakeLayout.eventsPrefix}/project=demo/`)).map(
      (key) => parseObjectKey(key)!,
    );
    const closed = files.filter((f) => f.day < today);
    expect(closed.map((f) => f.day).sort()).toEqual([...expectedDays.keys()].filter((d) => d < today).sort());
    expect(closed.every((f) => f.fileName.startsWith(`${LakeLayout.compactedFilePrefix}-`))).toBe(true);
    expect(await sql(snapshot)).toEqual(before);
    const [raw] = await sql(`SELECT count(*) AS n FROM events_raw WHERE eventid LIKE 'lake-%' AND dt < '${today}'`);
    expect(Number(raw!.n)).toBe(events.filter((e) => e.timestamp.slice(0, 10) < today).length);
  });

  it('backfills a day the lake writer missed from the events still in DynamoDB, each event once however often it runs', async () => {
    // Prepare: the lake loses a closed day's files (as if its stream batches had gone to the on-failure queue).
    const lost = day(now - 3 * DAY_MS);
    const snapshot = `SELECT eventid, event, deviceid, userid, value, "timestamp", receivedat, properties, context FROM events WHERE dt = '${lost}' AND eventid LIKE 'lake-%' ORDER BY eventid`;
    const before = await sql(snapshot);
    expect(before).toHaveLength(expectedDays.get(lost)!);
    const lake = new FileLakeObjects(local.lakeDir);
    await lake.delete(await lake.list(`${LakeLayout.eventsPrefix}/project=demo/dt=${lost}/`));
    expect(await sql(snapshot)).toEqual([]);

    // Act: backfilled twice over a range around the day.
    const backfill = async () => {
      const out: string[] = [];
      const args = ['lake', 'backfill', '--from', day(now - 4 * DAY_MS), '--to', day(now - 2 * DAY_MS), '--project', 'demo'];
      expect(await runCli([...args, '--data-dir', local.dataDir], { out: (l) => out.push(l), err: () => undefined, isTTY: false })).toBe(0);
      return out.join('\n');
    };
    expect(await backfill()).toMatch(/events written to \d+ lake objects/);
    await backfill();

    // Assess: the same rows, once each, and compaction folds the copies into one file.
    expect(await sql(snapshot)).toEqual(before);
    await runCli(['lake', 'compact', '--data-dir', local.dataDir], { out: () => undefined, err: () => undefined, isTTY: false });
    expect(await lake.list(`${LakeLayout.eventsPrefix}/project=demo/dt=${lost}/`)).toHaveLength(1);
    const [raw] = await sql(`SELECT count(*) AS n FROM events_raw WHERE dt = '${lost}' AND eventid LIKE 'lake-%'`);
    expect(Number(raw!.n)).toBe(before.length);
  });

  it('keeps rejected rows whole, and a replay through /v1/import stores each once however often it runs', async () => {
    // Prepare: an offline device's rows, older than the 5-day floor of /v1/batch; larger than the 2 KB audit cut.
    const old = now - 10 * DAY_MS;
    const rows = Array.from({ length: 6 }, (_, i) => ({
      ...(i < 5 ? { eventId: `old-${i}` } : {}),
      event: 'offline level up',
      deviceId: 'offline-device',
      timestamp: new Date(old + i * 1000).toISOString(),
      properties: { note: `ü#"${'x'.repeat(3000)}`, i },
    }));
    const reply = await request(`${local.url}/v1/batch`, {
      key: DemoProject.writeKey,
      body: { batch: rows.map((r) => ({ type: 'track', ...r })) },
    });
    expect(reply.status).toBe(202);
    expect(reply.body.rejected.map((r: { reason: string }) => r.reason)).toEqual(rows.map(() => 'too_old'));

    const kept = await sql(
      `SELECT "row", rowindex, typeof(receivedat) AS t FROM rejections WHERE project = 'demo' AND reason = 'too_old' ORDER BY rowindex`,
    );
    expect(kept.map((k) => JSON.parse(String(k.row)))).toEqual(rows.map((r) => ({ type: 'track', ...r })));
    expect(kept.every((k) => k.t === 'TIMESTAMP')).toBe(true);

    // Act: replayed twice.
    const replay = async () => {
      const { code, out } = await replayTooOld();
      expect(code).toBe(0);
      return out;
    };
    expect(await replay()).toContain(`${rows.length} rows found, ${rows.length} accepted`);
    await eventually(
      () => sql(`SELECT count(*) AS n FROM events WHERE project = 'demo' AND deviceid = 'offline-device' AND event = 'offline level up'`),
      (r) => Number(r[0]!.n) === rows.length,
    );
    await replay();
    await eventually(
      async () => local.lakeIdle() && local.streamIdle(),
      (idle) => idle,
    );

    // Assess: each row stored once, in the day it happened, with its properties whole.
    const stored = await sql(
      `SELECT dt, count(*) AS n, count(DISTINCT eventid) AS ids, max(length(properties)) AS longest FROM events WHERE deviceid = 'offline-device' AND event = 'offline level up' GROUP BY dt`,
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ dt: day(old) });
    expect(Number(stored[0]!.n)).toBe(rows.length);
    expect(Number(stored[0]!.ids)).toBe(rows.length);
    expect(Number(stored[0]!.longest)).toBeGreaterThan(3000);
  });

  it('replays a row with the clock-skew correction its first receipt would have made, and a row of a file without sentat', async () => {
    // Prepare: a device whose clock ran 3 hours behind sends, 10 days late, a row from 10 minutes into
    // a 30-minute session bucket (by the server's clock), so first receipt's correction of 3 hours
    // and the seconds this test takes cannot carry it across an hour or a bucket whenever it runs.
    const HOUR_MS = 3_600_000;
    const BUCKET_MS = 30 * 60_000;
    const happenedServerTime = Math.floor((Date.now() - 10 * DAY_MS) / BUCKET_MS) * BUCKET_MS + 10 * 60_000;
    const deviceTimestamp = happenedServerTime - 3 * HOUR_MS;
    const sentAt = Date.now() - 3 * HOUR_MS;
    const skewed = {
      type: 'track',
      event: 'skewed level up',
      anonymousId: 'skewed-device',
      timestamp: new Date(deviceTimestamp).toISOString(),
    };
    const reply = await request(`${local.url}/v1/batch`, {
      key: DemoProject.writeKey,
      body: { batch: [skewed], sentAt: new Date(sentAt).toISOString() },
    });
    expect(reply.body.rejected).toEqual([expect.objectContaining({ index: 0, reason: 'too_old' })]);
    const [kept] = await sql(
      `SELECT epoch_ms(receivedat) AS received, epoch_ms(sentat) AS sent FROM rejections WHERE "row" LIKE '%skewed-device%'`,
    );
    expect(Number(kept!.sent)).toBe(sentAt);
    const firstReceivedAt = Number(kept!.received);

    // An object written before rejections kept `sentat` and `replayrow`: the old columns only.
    const oldReceivedAt = happenedServerTime - 2 * DAY_MS;
    const oldRow = {
      event: 'old format level up',
      deviceId: 'old-format-device',
      timestamp: new Date(happenedServerTime - 3 * DAY_MS).toISOString(),
    };
    const oldColumns = LakeRejectionColumns.filter((column) => column.name !== 'sentat' && column.name !== 'replayrow');
    const oldRecord = {
      index: 0,
      reason: 'too_old',
      error: 'older than 5 days',
      retryable: false,
      receivedAt: new Date(oldReceivedAt).toISOString(),
      requestId: 'request-before-sentat',
      row: oldRow,
    };
    await new FileLakeObjects(local.lakeDir).put(
      rejectionObjectKey('demo', oldRecord.receivedAt, oldRecord.requestId),
      encodeParquet(oldColumns, [rejectionRowOf(oldRecord)]),
    );

    // Act: replayed twice.
    const storedRows = () =>
      sql(
        `SELECT deviceid, epoch_ms("timestamp") AS ts, epoch_ms(receivedat) AS received FROM events WHERE event IN ('skewed level up', 'old format level up') ORDER BY deviceid`,
      );
    await replayTooOld();
    await eventually(storedRows, (rows) => rows.length === 2);
    const replayed = await replayTooOld();
    expect(replayed.code).toBe(0);
    await eventually(
      async () => local.lakeIdle() && local.streamIdle(),
      (idle) => idle,
    );

    // Assess: stored once each; the skewed row moved by first receipt's correction and dated by it,
    // the old-format row at its own time (it had no sentAt), received when it was first received.
    const stored = await sql(
      `SELECT deviceid, count(*) AS n, min(epoch_ms("timestamp")) AS ts, min(epoch_ms(receivedat)) AS received FROM events WHERE event IN ('skewed level up', 'old format level up') GROUP BY deviceid ORDER BY deviceid`,
    );
    expect(stored.map((row) => [row.deviceid, Number(row.n), Number(row.ts), Number(row.received)])).toEqual([
      ['old-format-device', 1, Date.parse(oldRow.timestamp), oldReceivedAt],
      ['skewed-device', 1, deviceTimestamp + (firstReceivedAt - sentAt), firstReceivedAt],
    ]);
    expect(Math.floor((deviceTimestamp + firstReceivedAt - sentAt) / BUCKET_MS) * BUCKET_MS).toBe(happenedServerTime - 10 * 60_000);
  });
});

describe('a rejected row resent with another sentAt', () => {
  it("is replayed once, with the first request's clock-skew correction", async () => {
    // Prepare: a device 10 days offline sends a row (its clock 3 h behind), gets too_old, and resends the same
    // row an hour later by its clock with another sentAt; both requests are refused and kept.
    const HOUR_MS = 3_600_000;
    const row = { event: 'resent level up', deviceId: 'resent-device', timestamp: new Date(Date.now() - 10 * DAY_MS).toISOString() };
    for (const sentAt of [Date.now() - 3 * HOUR_MS, Date.now() - 2 * HOUR_MS]) {
      const reply = await request(`${local.url}/v1/batch`, {
        key: DemoProject.writeKey,
        body: { events: [row], sentAt: new Date(sentAt).toISOString() },
      });
      expect(reply.body.rejected).toEqual([expect.objectContaining({ index: 0, reason: 'too_old' })]);
    }
    const kept = await sql(
      `SELECT epoch_ms(receivedat) AS received, epoch_ms(sentat) AS sent FROM rejections WHERE "row" LIKE '%resent-device%' ORDER BY receivedat`,
    );
    expect(kept).toHaveLength(2);
    const firstCorrection = Number(kept[0]!.received) - Number(kept[0]!.sent);

    // Act: replayed twice.
    const stored = () =>
      sql(
        `SELECT count(*) AS n, min(epoch_ms("timestamp")) AS ts FROM events WHERE deviceid = 'resent-device' AND event = 'resent level up'`,
      );
    expect((await replayTooOld()).code).toBe(0);
    await eventually(stored, (rows) => Number(rows[0]!.n) === 1);
    expect((await replayTooOld()).code).toBe(0);
    await eventually(
      async () => local.lakeIdle() && local.streamIdle(),
      (idle) => idle,
    );

    // Assess: one event, moved by the first request's correction (about 3 h), not the resend's (about 2 h).
    const [once] = await stored();
    expect([Number(once!.n), Number(once!.ts)]).toEqual([1, Date.parse(row.timestamp) + firstCorrection]);
  });
});

describe('a rejected OpenPanel row', () => {
  it("is kept as sent and in Tidemark's shape, and a replay through /v1/import stores it once", async () => {
    // Prepare: an OpenPanel SDK's event from a device offline for 10 days, refused as too old on /track.
    const timestamp = new Date(Date.now() - 10 * DAY_MS).toISOString();
    const body = {
      type: 'track',
      payload: { name: 'op offline level up', properties: { __timestamp: timestamp, __deviceId: 'op-offline', level: 7 } },
    };
    const headers = {
      'openpanel-client-id': DemoProject.writeKey,
      'openpanel-client-secret': 'not-a-tidemark-key',
      'openpanel-sdk-name': 'node',
    };
    const reply = await request(`${local.url}/track`, { body, headers });
    expect(reply.body.rejected.map((r: { reason: string }) => r.reason)).toEqual(['too_old']);
    const [kept] = await sql(`SELECT "row", replayrow FROM rejections WHERE "row" LIKE '%op offline level up%'`);
    expect(JSON.parse(String(kept!.row))).toEqual(body);
    expect(JSON.parse(String(kept!.replayrow))).toMatchObject({ event: 'op offline level up', timestamp });

    // Act: replayed twice.
    const replay = async () => (await replayTooOld()).code;
    expect(await replay()).toBe(0);
    const stored = () =>
      sql(
        `SELECT count(*) AS n, min(epoch_ms("timestamp")) AS ts, min(properties->>'$.level') AS level FROM events WHERE deviceid = 'op-offline' AND event = 'op offline level up'`,
      );
    await eventually(stored, (rows) => Number(rows[0]!.n) === 1);
    expect(await replay()).toBe(0);

    // Assess: once, at the time it happened, with its properties.
    const { from, to } = dayRange(new Date(timestamp));
    const listed = await eventually(
      () =>
        request(`${local.url}/v1/events?deviceId=op-offline&event=op%20offline%20level%20up&from=${from}&to=${to}`, {
          key: DemoProject.secretKey,
        }),
      (r) => r.body.events?.length === 1,
    );
    expect(listed.body.events).toHaveLength(1);
    const [row] = await stored();
    expect([Number(row!.n), Number(row!.ts), row!.level]).toEqual([1, Date.parse(timestamp), '7']);
  });
});

describe('a replay of rows first received longer ago than the hot window', () => {
  it('stores them for the whole hot window from now, so a later replay still finds them and stores nothing twice', async () => {
    // Prepare: a row rejected 100 days ago (kept in the lake), past the 35-day hot window.
    const firstReceivedAt = Date.now() - 100 * DAY_MS;
    const row = {
      event: 'long offline level up',
      deviceId: 'long-offline-device',
      timestamp: new Date(firstReceivedAt - DAY_MS).toISOString(),
    };
    const record = {
      index: 0,
      reason: 'too_old',
      error: 'older than 5 days',
      retryable: false,
      receivedAt: new Date(firstReceivedAt).toISOString(),
      requestId: 'request-long-ago',
      row,
    };
    await new FileLakeObjects(local.lakeDir).put(
      rejectionObjectKey('demo', record.receivedAt, record.requestId),
      encodeParquet(LakeRejectionColumns, [rejectionRowOf(record)]),
    );
    // Act
    const replayedAt = Date.now();
    const replay = await replayTooOld();
    expect(replay.code).toBe(0);
    const dynamo = new DynamoDBClient({ endpoint: local.dynamodbEndpoint, region: 'us-east-1', credentials });
    try {
      // Every page of the table: a Scan's filter applies after each page's 1 MB read.
      const itemsOfRow = async () => {
        const found: Record<string, AttributeValue>[] = [];
        let start: Record<string, AttributeValue> | undefined;
        do {
          const page = await dynamo.send(
            new ScanCommand({
              TableName: local.config.eventsTable,
              FilterExpression: 'deviceId = :device AND #event = :event',
              ExpressionAttributeNames: { '#event': 'event' },
              ExpressionAttributeValues: { ':device': { S: row.deviceId }, ':event': { S: row.event } },
              ExclusiveStartKey: start,
            }),
          );
          found.push(...(page.Items ?? []));
          start = page.LastEvaluatedKey;
        } while (start);
        return found;
      };
      const items = await eventually(itemsOfRow, (found) => found.length === 1);
      // Assess: dated by its first receipt, yet kept (TTL) a full hot window from when it was stored:
      // an item that arrives already expired is deleted by TTL, and the next replay stores (and counts) it again.
      const [item] = items;
      expect(item!.receivedAt!.S).toBe(record.receivedAt);
      expect(Number(item!.expiresAt!.N)).toBeGreaterThanOrEqual(Math.floor(replayedAt / 1000) + local.config.eventRetentionDays * 86_400);
    } finally {
      dynamo.destroy();
    }
  });
});

describe('the event lake under the stream poller redelivering every batch with other boundaries', () => {
  let faulty: LocalHarness;
  beforeAll(async () => {
    faulty = await startLocal({ streamBatchingWindowMs: 200, faults: { seed: 20, streamRedelivery: 1 } });
  });
  afterAll(async () => {
    await faulty?.close();
  });

  it('shows each event once in tidemark sql', async () => {
    // Prepare: several requests, so several stream batches, each redelivered shorter, longer, shifted, duplicated or replayed.
    const events = Array.from({ length: 60 }, (_, i) => ({
      eventId: `redelivered-${i}`,
      event: 'tap',
      deviceId: `d-${i % 4}`,
      timestamp: new Date(Date.now() - i * 1000).toISOString(),
    }));
    for (let i = 0; i < events.length; i += 15) {
      expect(
        (await request(`${faulty.url}/v1/batch`, { key: DemoProject.writeKey, body: { events: events.slice(i, i + 15) } })).status,
      ).toBe(202);
    }
    const query = async (statement: string) => {
      const out: string[] = [];
      const code = await runCli(['sql', statement, '--format', 'json', '--data-dir', faulty.dataDir], {
        out: (l) => out.push(l),
        err: () => undefined,
        isTTY: false,
      });
      expect(code).toBe(0);
      return out.map((line) => JSON.parse(line) as Record<string, unknown>);
    };
    // Act: wait until every event reached the lake and the pollers are quiet.
    await eventually(
      async () => Number((await query(`SELECT count(DISTINCT eventid) AS n FROM events_raw WHERE eventid LIKE 'redelivered-%'`))[0]!.n),
      (n) => n === events.length,
    );
    await eventually(
      async () => faulty.lakeIdle() && faulty.streamIdle(),
      (idle) => idle,
    );
    // Assess: copies in the raw files, each event once in the view.
    const [raw] = await query(`SELECT count(*) AS n FROM events_raw WHERE eventid LIKE 'redelivered-%'`);
    expect(Number(raw!.n)).toBeGreaterThan(events.length);
    const [view] = await query(`SELECT count(*) AS n, count(DISTINCT eventid) AS ids FROM events WHERE eventid LIKE 'redelivered-%'`);
    expect([Number(view!.n), Number(view!.ids)]).toEqual([events.length, events.length]);
  });
});
