/**
 * The counter key design, read through the query use case from what the counting use case wrote
 * (in-memory store): a query for one event reads only that event's partitions, and every grouping
 * answers what the events say however the transactions spread over the counter shards.
 */
import { describe, expect, it } from 'vitest';
import { applyBatch } from '../../lambdas/aggregate/aggregate.js';
import { parseAggregateQuery } from '../../lambdas/core/aggregate-query.js';
import { aggregateSeries } from '../../lambdas/query/aggregates.js';
import { PartitionShards } from '../../resources/index.js';
import { STREAM_TIME_MS, streamEntry } from '../helpers/factories.js';
import { MemoryCounterStore } from '../helpers/fakes.js';

const SHARD = { streamArn: 'arn:stream', shardId: 'shardId-1' };
const noWait = async () => undefined;
const RECORDS = Array.from({ length: 120 }, (_, i) => streamEntry(i));
const DAY = new Date(STREAM_TIME_MS).toISOString().slice(0, 10);
const NEXT_DAY = new Date(STREAM_TIME_MS + 86_400_000).toISOString().slice(0, 10);

async function countedStore(): Promise<MemoryCounterStore> {
  const store = new MemoryCounterStore();
  // Stream batches of 10: twelve transactions, each in the counter shard it hashes to.
  for (let i = 0; i < RECORDS.length; i += 10) await applyBatch(SHARD, RECORDS.slice(i, i + 10), store, noWait);
  return store;
}

const query = (params: Record<string, string>) =>
  parseAggregateQuery('p', { from: `${DAY}T00:00:00Z`, to: `${NEXT_DAY}T00:00:00Z`, ...params });
const total = (series: { count: number }[]) => series.reduce((sum, point) => sum + point.count, 0);

describe('aggregateSeries', () => {
  it('reads only the partitions of the event asked for, in every counter shard', async () => {
    const store = await countedStore();
    for (const granularity of ['hour', 'day']) {
      store.reads.length = 0;
      const series = await aggregateSeries(query({ event: 'ev1', granularity }), store);
      expect(total(series)).toBe(40);
      expect(store.reads).toHaveLength(PartitionShards.counters);
      for (const pk of store.reads) expect(pk).toMatch(new RegExp(`^C#p#E#ev1#${granularity === 'hour' ? 'H' : 'D'}#`));
    }
  });

  it('reads the month’s event names first when the query names none, then those events’ partitions only', async () => {
    const store = await countedStore();
    store.reads.length = 0;
    const [point] = await aggregateSeries(query({}), store);
    expect(point).toMatchObject({ count: 120, uniqueDevices: 7 });
    expect(store.reads[0]).toBe(`C#p#N#${DAY.slice(0, 7)}`);
    const partitions = new Set(store.reads.slice(1).map((pk) => pk.replace(/#\d+$/, '')));
    expect([...partitions].sort()).toEqual([
      `C#p#A#${DAY.slice(0, 4)}`,
      ...['ev0', 'ev1', 'ev2'].map((e) => `C#p#E#${e}#D#${DAY.slice(0, 4)}`),
    ]);
  });

  it('answers what the events say, every grouping, with the batches spread over several shards', async () => {
    const store = await countedStore();
    const shardsWritten = new Set([...store.counters.keys()].map((key) => key.split('|')[0]!.split('#').at(-1)));
    expect(shardsWritten.size).toBeGreaterThan(1);
    const events = RECORDS.flatMap((r) => ('event' in r ? [r.event] : []));
    const byEvent = await aggregateSeries(query({ groupBy: 'event' }), store);
    for (const name of ['ev0', 'ev1', 'ev2']) {
      const mine = events.filter((e) => e.event === name);
      const sum = mine.reduce((s, e) => s + (e.valueMicros ?? 0n), 0n) / 1_000_000n;
      expect(byEvent.find((p) => p.event === name)).toMatchObject({
        count: 40,
        sumExact: String(sum),
        uniqueDevices: new Set(mine.map((e) => e.deviceId)).size,
      });
    }
    const hours = await aggregateSeries(query({ granularity: 'hour', groupBy: 'source' }), store);
    expect(total(hours)).toBe(120);
    expect(hours.every((p) => p.source === null)).toBe(true);
  });
});
