/** What the counting use case needs from outside; `adapters/aggregate-store.ts` implements it (DynamoDB transactions). */
import type { CounterDelta, EventName, UniqueMarker } from '../core/aggregation.js';

/** The shard a batch came from: its mark is the one it reads and advances. */
export type ShardRef = { readonly streamArn: string; readonly shardId: string };

export type QuarantinedRecord = { readonly sequenceNumber: string; readonly reason: string; readonly raw: string };

export type Commit = {
  readonly shard: ShardRef;
  /** The mark this commit expects to find (undefined: no mark yet). */
  readonly previous: string | undefined;
  readonly last: string;
  readonly counters: readonly CounterDelta[];
  readonly quarantined: readonly QuarantinedRecord[];
};

export interface CounterStore {
  readMark(shard: ShardRef): Promise<string | undefined>;
  claimMarker(marker: UniqueMarker): Promise<boolean>;
  /** Records that the project counted this event name in the month (idempotent); done before the counters commit. */
  recordEventName(name: EventName): Promise<void>;
  /** Adds the counters, stores the quarantined records and moves the mark `previous` -> `last`, in one transaction. */
  commit(commit: Commit): Promise<void>;
}
