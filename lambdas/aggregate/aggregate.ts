/**
 * Applies a stream batch to the counters exactly once. The checkpoint is keyed by where the batch
 * starts in its shard (its first record): Lambda retries a failed stream batch from that same
 * record, so a retry finds the checkpoint, skips what an earlier attempt committed, and applies the rest.
 */
import {
  compareSequenceNumbers,
  groupForTransactions,
  planCounters,
  type CountedEvent,
  type CounterDelta,
  type UniqueMarker,
} from '../core/aggregation.js';

/** TransactWriteItems takes 100 actions; one is the checkpoint. */
export const MAX_COUNTERS_PER_TRANSACTION = 99;

export interface CounterStore {
  readCheckpoint(checkpointId: string): Promise<string | undefined>;
  claimMarker(marker: UniqueMarker): Promise<boolean>;
  applyCounters(checkpointId: string, previous: string | undefined, last: string, counters: readonly CounterDelta[]): Promise<void>;
}

export type ApplyOutcome = { applied: number; skipped: number; transactions: number };

export async function applyBatch(checkpointId: string, events: readonly CountedEvent[], store: CounterStore): Promise<ApplyOutcome> {
  const checkpoint = await store.readCheckpoint(checkpointId);
  const pending = checkpoint === undefined ? events : events.filter((e) => compareSequenceNumbers(e.sequenceNumber, checkpoint) > 0);
  let previous = checkpoint;
  const groups = groupForTransactions(pending, MAX_COUNTERS_PER_TRANSACTION);
  for (const group of groups) {
    const plan = planCounters(group);
    const claimed = await Promise.all(plan.markers.map((marker) => store.claimMarker(marker)));
    plan.markers.forEach((marker, i) => {
      if (claimed[i]) marker.counter.count += 1;
    });
    const last = group.at(-1)!.sequenceNumber;
    await store.applyCounters(checkpointId, previous, last, plan.counters);
    previous = last;
  }
  return { applied: pending.length, skipped: events.length - pending.length, transactions: groups.length };
}
