/**
 * The exactly-once counting use case against an in-memory store with DynamoDB's transaction
 * semantics (all or nothing, conditional on the mark): redeliveries with any boundaries count once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBatch, CommitConflictError, type StreamEntry } from '../../lambdas/aggregate/aggregate.js';
import type { Commit, ShardRef } from '../../lambdas/aggregate/ports.js';
import { streamEntry as entry } from '../helpers/factories.js';
import { MemoryCounterStore } from '../helpers/fakes.js';

const SHARD: ShardRef = { streamArn: 'arn:stream', shardId: 'shardId-1' };
const noWait = async () => undefined;

/** Every way a stream may redeliver `records`: batches of varying size, shifted back, duplicated, replayed from the start. */
const deliveries = fc.array(fc.record({ start: fc.nat({ max: 120 }), size: fc.integer({ min: 1, max: 60 }), crash: fc.boolean() }), {
  minLength: 1,
  maxLength: 25,
});

describe('applyBatch', () => {
  it('counts every record exactly once whatever the batch boundaries, duplicates, shifts and replays', async () => {
    await fc.assert(
      fc.asyncProperty(deliveries, async (plan) => {
        const records = Array.from({ length: 100 }, (_, i) => entry(i));
        const store = new MemoryCounterStore();
        let next = 0;
        // Arbitrary redeliveries first (any start at or before the mark, any size), then the stream goes on in order.
        for (const { start, size, crash } of plan) {
          if (crash) store.faults.push(new Error('crash before commit'));
          const from = Math.min(start, next);
          await applyBatch(SHARD, records.slice(from, from + size), store, noWait).catch(() => undefined);
          const mark = await store.readMark(SHARD);
          next = mark === undefined ? 0 : Number(mark) - 1000 + 1;
        }
        store.faults.length = 0;
        while (next < records.length) {
          await applyBatch(SHARD, records.slice(next, next + 37), store, noWait);
          next = Number(await store.readMark(SHARD)) - 1000 + 1;
        }
        await applyBatch(SHARD, records, store, noWait); // a replay from TRIM_HORIZON
        expect(store.total('C')).toBe(200); // hourly + daily count per record
        const sum = [...store.counters].filter(([k]) => k.includes('#H#') && !k.includes('#U')).reduce((s, [, c]) => s + c.sumMicros, 0n);
        expect(sum).toBe(BigInt((99 * 100) / 2) * 1_000_000n);
        // Unique devices: 7 devices per day over all events, and per event the devices seen with it.
        const perEvent = new Set(records.map((r) => ('event' in r ? `${r.event.event}|${r.event.deviceId}` : ''))).size;
        expect(store.total('U')).toBe(7 + perEvent);
      }),
      { numRuns: 60 },
    );
  });

  it('checkpointed counting skips what was committed: records at or below the mark, even out of order', async () => {
    const store = new MemoryCounterStore();
    await applyBatch(SHARD, [entry(1), entry(2)], store, noWait);
    const outcome = await applyBatch(SHARD, [entry(3), entry(2), entry(1), entry(3)], store, noWait);
    expect(outcome).toMatchObject({ applied: 1, skipped: 3 });
    expect(store.total('C')).toBe(6);
  });

  it('quarantines the one record DynamoDB refuses and applies the others of its batch', async () => {
    const store = new MemoryCounterStore();
    const poisonSeq = String(1000 + 17);
    store.refuse = (commit) =>
      commit.counters.length > 0 &&
      Number(commit.last) >= Number(poisonSeq) &&
      commit.quarantined.length === 0 &&
      commitCovers(commit, poisonSeq);
    const records = Array.from({ length: 40 }, (_, i) => entry(i));
    const outcome = await applyBatch(SHARD, records, store, noWait);
    expect(outcome).toMatchObject({ applied: 39, quarantined: 1 });
    expect(store.quarantine.get(poisonSeq)).toBe('record 17');
    expect(store.total('C')).toBe(78);
    expect(await store.readMark(SHARD)).toBe(String(1039));
  });

  it('quarantines a record that is not an event without holding back the batch', async () => {
    const store = new MemoryCounterStore();
    const bad: StreamEntry = { sequenceNumber: '1005', problem: 'the image lacks projectId', raw: '{}' };
    const outcome = await applyBatch(SHARD, [entry(1), entry(2), bad, entry(8)], store, noWait);
    expect(outcome).toMatchObject({ applied: 3, quarantined: 1 });
    expect(store.quarantine.get('1005')).toBe('{}');
  });

  it('retries a transaction cancelled by concurrent writers, and gives up to Lambda after a bound', async () => {
    const store = new MemoryCounterStore();
    store.faults.push(new CommitConflictError(), new CommitConflictError());
    await applyBatch(SHARD, [entry(1)], store, noWait);
    expect(store.total('C')).toBe(2);
    store.faults.push(...Array.from({ length: 20 }, () => new CommitConflictError()));
    await expect(applyBatch(SHARD, [entry(2)], store, noWait)).rejects.toBeInstanceOf(CommitConflictError);
  });
});

/** Whether a commit covers the record at `sequenceNumber` (the fake cannot see which records a commit holds, only its range). */
function commitCovers(commit: Commit, sequenceNumber: string): boolean {
  const first = commit.previous === undefined ? 0 : Number(commit.previous) + 1;
  return Number(sequenceNumber) >= first && Number(sequenceNumber) <= Number(commit.last);
}
