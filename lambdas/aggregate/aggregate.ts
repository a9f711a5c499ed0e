/**
 * Applies stream records to the counters exactly once, whatever batch boundaries the event source
 * mapping uses. Each shard has a high-water mark, the last sequence number whose counters are
 * committed, advanced in the same TransactWriteItems as the counter ADDs of the records it covers.
 * Lambda delivers a shard's records at least once and in order the first time, but a redelivery may
 * be shorter, longer, shifted, duplicated or out of order ("How Lambda processes records from stream
 * and queue-based event sources": https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html;
 * tumbling windows, which carry the shard id: https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#services-ddb-windows).
 * Sequence numbers increase within a shard, so a record at or below the mark is already counted and
 * is skipped; everything above it is not, and is applied.
 *
 * A record that cannot be applied (an image that is not an event, or a write DynamoDB refuses) is
 * quarantined, kept whole and covered by the mark, so it never holds back or discards the others.
 */
import {
  compareSequenceNumbers,
  counterIdsOf,
  counterShardFor,
  groupForTransactions,
  planCounters,
  type CountedEvent,
} from '../core/aggregation.js';
import { jitteredBackoff, type Backoff } from '../core/back-pressure.js';
import { PartitionShards } from '../../resources/index.js';
import type { CounterStore, ShardRef } from './ports.js';

/** TransactWriteItems takes 100 actions; one is the mark. */
export const MAX_ITEMS_PER_TRANSACTION = 99;
/** In-function attempts at a transaction that concurrent writers cancelled, before the batch is left to Lambda's retry. */
export const MAX_CONFLICT_ATTEMPTS = 8;

/** One stream record: an event to count, or a record that cannot be one and is quarantined with the reason. */
export type StreamEntry =
  | { readonly sequenceNumber: string; readonly event: CountedEvent; readonly raw: string }
  | { readonly sequenceNumber: string; readonly problem: string; readonly raw: string };

/** The commit found the mark elsewhere than `previous`: another invocation applied part of the shard. */
export class MarkMovedError extends Error {
  constructor(readonly shard: ShardRef) {
    super(`the high-water mark of shard ${shard.shardId} moved during the commit`);
    this.name = 'MarkMovedError';
  }
}

/** Concurrent writers (other shards on the same counters) cancelled the transaction; trying again will do. */
export class CommitConflictError extends Error {
  constructor(options?: ErrorOptions) {
    super('the counter transaction was cancelled by a concurrent write', options);
    this.name = 'CommitConflictError';
  }
}

/** DynamoDB refused the writes themselves: retrying the same records can never succeed. */
export class UnappliableError extends Error {
  constructor(reason: string, options?: ErrorOptions) {
    super(reason, options);
    this.name = 'UnappliableError';
  }
}

export type ApplyOutcome = { applied: number; skipped: number; quarantined: number; transactions: number };

export async function applyBatch(
  shard: ShardRef,
  entries: readonly StreamEntry[],
  store: CounterStore,
  backoff: Backoff = jitteredBackoff,
): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = { applied: 0, skipped: 0, quarantined: 0, transactions: 0 };
  // A redelivery may come out of order and repeat records: apply each sequence number once, in order.
  const ordered = [...new Map(entries.map((entry) => [entry.sequenceNumber, entry])).values()].sort((a, b) =>
    compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber),
  );
  let mark = await store.readMark(shard);
  const pendingOf = (list: readonly StreamEntry[]) =>
    mark === undefined ? [...list] : list.filter((entry) => compareSequenceNumbers(entry.sequenceNumber, mark!) > 0);
  const pending = pendingOf(ordered);
  outcome.skipped = entries.length - pending.length;

  const commitGroup = async (group: readonly StreamEntry[], conflicts = 0): Promise<void> => {
    const todo = pendingOf(group);
    if (todo.length === 0) return;
    const last = todo.at(-1)!.sequenceNumber;
    const events = todo.flatMap((entry) => ('event' in entry ? [entry.event] : []));
    const quarantined = todo.flatMap((entry) =>
      'problem' in entry ? [{ sequenceNumber: entry.sequenceNumber, reason: entry.problem, raw: entry.raw }] : [],
    );
    try {
      const plan = planCounters(events, counterShardFor(shard.shardId, last, conflicts, PartitionShards.counters));
      await Promise.all(plan.names.map((name) => store.recordEventName(name)));
      const claimed = await Promise.all(plan.markers.map((marker) => store.claimMarker(marker)));
      plan.markers.forEach((marker, i) => {
        if (claimed[i]) marker.counter.count += 1;
      });
      await store.commit({ shard, previous: mark, last, counters: plan.counters, quarantined });
      mark = last;
      outcome.applied += events.length;
      outcome.quarantined += quarantined.length;
      outcome.transactions += 1;
    } catch (error) {
      if (error instanceof MarkMovedError) {
        // Another invocation of this shard committed; what it covered is skipped on the next pass.
        mark = await store.readMark(shard);
        return commitGroup(todo, conflicts);
      }
      if (error instanceof CommitConflictError && conflicts + 1 < MAX_CONFLICT_ATTEMPTS) {
        await backoff(conflicts);
        return commitGroup(todo, conflicts + 1);
      }
      if (!(error instanceof UnappliableError)) throw error;
      if (todo.length > 1) {
        // Bisect: find the record DynamoDB refuses, apply the others.
        const half = Math.ceil(todo.length / 2);
        await commitGroup(todo.slice(0, half));
        await commitGroup(todo.slice(half));
        return;
      }
      const only = todo[0]!;
      // Even keeping the record aside was refused: only Lambda's retry (and an operator) can help.
      if ('problem' in only) throw error;
      return commitGroup([{ sequenceNumber: only.sequenceNumber, problem: error.message, raw: only.raw }]);
    }
  };

  const groups = groupForTransactions(
    pending,
    (entry) => ('event' in entry ? counterIdsOf(entry.event) : [`quarantine\u0000${entry.sequenceNumber}`]),
    MAX_ITEMS_PER_TRANSACTION,
  );
  for (const group of groups) await commitGroup(group);
  return outcome;
}
