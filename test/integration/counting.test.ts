/**
 * Counting at the edges, through the local runtime and with the real `applyBatch` against DynamoDB
 * Local: exact sums whatever their size, counter keys for any name, and `tidemark reconcile`.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { DynamoAggregateStore } from '../../lambdas/adapters/aggregate-store.js';
import { createDocumentClient } from '../../lambdas/adapters/clients.js';
import { applyBatch, type StreamEntry } from '../../lambdas/aggregate/aggregate.js';
import { parseAggregateQuery } from '../../lambdas/core/aggregate-query.js';
import { countCounterSortKey, eventCounterPartition } from '../../lambdas/core/item-keys.js';
import { aggregateSeries } from '../../lambdas/query/aggregates.js';
import type { CounterReader } from '../../lambdas/query/ports.js';
import { Limits } from '../../resources/limits.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal();
});
afterAll(async () => {
  await local?.close();
});

const DAY = '2024-05-20';
const aggregates = (query: string) =>
  request(`${local.url}/v1/aggregates?from=${DAY}T00:00:00Z&to=2024-05-21T00:00:00Z&${query}`, { key: DemoProject.secretKey });
const countOf = (series: { event?: string; count: number }[], event: string) => series.find((p) => p.event === event)?.count ?? 0;

describe('sums', () => {
  it('are exact beyond what a double carries, and a tiny value breaks nothing', { timeout: 300_000 }, async () => {
    const rows = [
      { event: 'exact-sum', deviceId: 'rich', value: 1e12, timestamp: `${DAY}T10:00:00.000Z` },
      { event: 'exact-sum', deviceId: 'rich', value: 1e12, timestamp: `${DAY}T10:01:00.000Z` },
      { event: 'exact-sum', deviceId: 'rich', value: 0.000001, timestamp: `${DAY}T10:02:00.000Z` },
      { event: 'exact-sum', deviceId: 'rich', value: 1e-40, timestamp: `${DAY}T10:03:00.000Z` },
    ];
    const reply = await request(`${local.url}/v1/import`, { key: DemoProject.secretKey, body: rows });
    expect(reply.body).toEqual({ accepted: 4, rejected: [] });
    const point = await eventually(
      async () => (await aggregates('event=exact-sum&granularity=hour')).body.series?.[0],
      (p) => p?.count === 4,
      240_000,
    );
    expect(point.sumExact).toBe('2000000000000.000001');
    expect(point.sum).toBe(Number('2000000000000.000001'));
  });

  it('carry 9e15 + 9e15 + 0.5 and 38-digit totals across calls, and every read answers', { timeout: 60_000 }, async () => {
    const store = new DynamoAggregateStore(createDocumentClient(local.config), local.config.aggregatesTable!);
    const shard = { streamArn: 'arn:test', shardId: 'shard-huge' };
    const entry = (i: number, valueMicros: bigint): StreamEntry => ({
      sequenceNumber: String(100 + i),
      raw: '{}',
      event: {
        sequenceNumber: String(100 + i),
        projectId: 'huge',
        eventId: `h${i}`,
        event: 'huge',
        deviceId: 'd',
        timeMs: Date.parse(`${DAY}T10:00:00Z`),
        valueMicros,
      },
    });
    // Separate calls, as separate stream batches: each sum is stored, then added to.
    await applyBatch(shard, [entry(1, 9_000_000_000_000_000_000_000n), entry(2, 9_000_000_000_000_000_000_000n)], store);
    await applyBatch(shard, [entry(3, 500_000n)], store);
    await applyBatch(shard, [entry(4, 10n ** 30n)], store);
    const [hourly] = await aggregateSeries(
      parseAggregateQuery('huge', { from: `${DAY}T10:00:00Z`, to: `${DAY}T11:00:00Z`, granularity: 'hour', event: 'huge' }),
      store,
    );
    expect(hourly!.count).toBe(4);
    expect(hourly!.sumExact).toBe(`${10n ** 24n + 18_000_000_000_000_000n}.5`);
  });
});

describe('counter reads', () => {
  it('touch only the partitions of the event a query names, through the DynamoDB adapter', { timeout: 60_000 }, async () => {
    const store = new DynamoAggregateStore(createDocumentClient(local.config), local.config.aggregatesTable!);
    const shard = { streamArn: 'arn:test', shardId: 'shard-reads' };
    const names = ['open', 'buy', 'close'];
    const entries: StreamEntry[] = Array.from({ length: 30 }, (_, i) => ({
      sequenceNumber: String(500 + i),
      raw: '{}',
      event: {
        sequenceNumber: String(500 + i),
        projectId: 'reads',
        eventId: `r${i}`,
        event: names[i % 3]!,
        deviceId: `d${i % 4}`,
        timeMs: Date.parse(`${DAY}T12:00:00Z`) + i * 60_000,
      },
    }));
    for (let i = 0; i < entries.length; i += 5) await applyBatch(shard, entries.slice(i, i + 5), store);
    const read: string[] = [];
    const counting: CounterReader = {
      eventNames: (pk) => {
        read.push(pk);
        return store.eventNames(pk);
      },
      queryPartition: (pk, from, to) => {
        read.push(pk);
        return store.queryPartition(pk, from, to);
      },
    };
    const day = { from: `${DAY}T00:00:00Z`, to: '2024-05-21T00:00:00Z' };
    const [buy] = await aggregateSeries(parseAggregateQuery('reads', { ...day, event: 'buy' }), counting);
    expect(buy).toMatchObject({ count: 10, uniqueDevices: 4 });
    expect(read.length).toBeGreaterThan(0);
    for (const pk of read) expect(pk).toMatch(/^C#reads#E#buy#D#2024#\d+$/);

    read.length = 0;
    const byEvent = await aggregateSeries(parseAggregateQuery('reads', { ...day, groupBy: 'event' }), counting);
    expect(byEvent.map((p) => [p.event, p.count])).toEqual([
      ['buy', 10],
      ['close', 10],
      ['open', 10],
    ]);
    expect(read[0]).toBe('C#reads#N#2024-05');
  });
});

describe('counter keys', () => {
  it('fit for non-ASCII names and ids at the byte limit and beyond, and such a row never costs the others their count', {
    timeout: 300_000,
  }, async () => {
    const atLimit = (c: string) => c.repeat(Limits.maxKeyFieldBytes / Buffer.byteLength(c));
    const rows = [
      // At the ingest limit in UTF-8 bytes: accepted, and longer than a key part may be, so hashed into counter keys.
      { event: atLimit('é'), deviceId: atLimit('ж'), source: atLimit('ü'), timestamp: `${DAY}T11:00:00.000Z` },
      // 256 characters of 3 bytes each: rejected per row with a reason, or stored and counted; never a failed stream batch.
      { event: '界'.repeat(256), deviceId: '界'.repeat(256), source: '界'.repeat(256), timestamp: `${DAY}T11:00:00.500Z` },
      { event: 'beside-long', deviceId: `a#b%c~d`, source: 'x#y', timestamp: `${DAY}T11:00:01.000Z` },
      { event: 'beside-long', deviceId: 'plain', timestamp: `${DAY}T11:00:02.000Z` },
    ];
    const reply = await request(`${local.url}/v1/import`, { key: DemoProject.secretKey, body: rows });
    expect(reply.status).toBe(202);
    const rejected = new Set((reply.body.rejected as { index: number; reason: string }[]).map((r) => r.index));
    for (const r of reply.body.rejected) expect(r.reason).toEqual(expect.any(String));
    expect([...rejected].filter((i) => i !== 1)).toEqual([]);
    const series = await eventually(
      async () =>
        (await aggregates('granularity=day&groupBy=event')).body.series as { event: string; count: number; uniqueDevices?: number }[],
      (s) => countOf(s, 'beside-long') === 2 && countOf(s, atLimit('é')) === 1 && (rejected.has(1) || countOf(s, '界'.repeat(256)) === 1),
      240_000,
    );
    expect(series.find((p) => p.event === 'beside-long')?.uniqueDevices).toBe(2);
    const bySource = (await aggregates(`granularity=hour&groupBy=source&event=${encodeURIComponent(atLimit('é'))}`)).body.series;
    expect(bySource).toEqual([expect.objectContaining({ source: atLimit('ü'), count: 1 })]);
  });
});

describe('tidemark reconcile', () => {
  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const code = await runCli([...args, '--data-dir', local.dataDir], { out: (l) => out.push(l), err: () => undefined, isTTY: false });
    return { code, out };
  };

  it('finds no difference on a settled range, reports a damaged counter, repairs it, and a second repair changes nothing', {
    timeout: 300_000,
  }, async () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({
      event: 'recount',
      deviceId: `rc-${i % 4}`,
      value: 2.5,
      timestamp: `2024-05-22T0${i % 3}:00:0${i % 10}.000Z`,
    }));
    await request(`${local.url}/v1/import`, { key: DemoProject.secretKey, body: rows });
    const range = ['--from', '2024-05-22', '--to', '2024-05-23', '--project', DemoProject.projectId];
    await eventually(
      async () => (await cli('reconcile', ...range)).code,
      (code) => code === 0,
      240_000,
    );

    const documents = createDocumentClient(local.config);
    await documents.send(
      new UpdateCommand({
        TableName: local.config.aggregatesTable!,
        // As a stream transaction adds into one counter shard (maybe one the real counts did not use): reconcile adds every shard's part.
        Key: {
          pk: eventCounterPartition(DemoProject.projectId, 'recount', 'day', '2024-05-22', 3),
          sk: countCounterSortKey('2024-05-22', ''),
        },
        UpdateExpression: 'ADD #count :five SET #kind = :kind, #bucket = :bucket, #event = :event, #source = :source',
        ExpressionAttributeNames: { '#count': 'count', '#kind': 'kind', '#bucket': 'bucket', '#event': 'event', '#source': 'source' },
        ExpressionAttributeValues: { ':five': 5, ':kind': 'count', ':bucket': '2024-05-22', ':event': 'recount', ':source': '' },
      }),
    );
    const damaged = await cli('reconcile', ...range);
    expect(damaged.code).toBe(3);
    expect(damaged.out.join('\n')).toContain('stored count 25 sum 50  recounted count 20 sum 50');

    const fixed = await cli('reconcile', ...range, '--fix');
    expect(fixed.code).toBe(0);
    expect(fixed.out.at(-1)).toContain('1 differ; 1 repaired');
    expect((await cli('reconcile', ...range, '--fix')).out.at(-1)).toContain('0 differ; 0 repaired');
    const day = await request(`${local.url}/v1/aggregates?from=2024-05-22T00:00:00Z&to=2024-05-23T00:00:00Z&event=recount`, {
      key: DemoProject.secretKey,
    });
    expect(day.body.series[0]).toMatchObject({ count: 20, sumExact: '50', uniqueDevices: 4 });
  });

  it('refuses a range that is not whole days', async () => {
    expect((await cli('reconcile', '--from', '2024-05-22T10:00:00Z', '--to', '2024-05-23')).code).toBe(2);
  });
});
