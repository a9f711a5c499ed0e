/**
 * Aggregation math: which counter items an event moves, pre-aggregated per batch, and the split of
 * a batch into record-aligned groups that each fit one transaction. Key layouts live in item-keys.ts.
 */
import {
  allEventsCounterPartition,
  countCounterSortKey,
  eventCounterPartition,
  eventNameKey,
  shardOf,
  uniqueCounterSortKey,
  uniqueMarkerKey,
} from './item-keys.js';
import { dayBucket, hourBucket } from './timestamps.js';
import type { Granularity } from '../../resources/api-answers.js';

/** What the aggregator needs of a stored event. */
export type CountedEvent = {
  /** Stream sequence number: increases within a shard. */
  readonly sequenceNumber: string;
  readonly projectId: string;
  readonly eventId: string;
  readonly event: string;
  readonly source?: string;
  /** `value` in micro-units (micro-units.ts): sums stay exact whatever their size. */
  readonly valueMicros?: bigint;
  readonly deviceId: string;
  readonly timeMs: number;
  /** When the API accepted it, epoch ms: the start of end-to-end freshness. */
  readonly receivedMs?: number;
};

export type CounterKey = { readonly pk: string; readonly sk: string };

export type CounterDelta = CounterKey & {
  readonly kind: 'count' | 'unique';
  readonly projectId: string;
  readonly granularity: Granularity;
  readonly bucket: string;
  /** Undefined on the all-events unique-devices counter. */
  readonly event?: string;
  readonly source?: string;
  count: number;
  /** Sum of `value` in micro-units. */
  sumMicros: bigint;
};

/** A unique-device marker: created once per (day, event, device) and once per (day, device). */
export type UniqueMarker = CounterKey & {
  readonly counter: CounterDelta;
  /** The event that would create the marker; a retry recognizes its own marker by it. */
  readonly ownerEventId: string;
};

export const NO_SOURCE = '';

export const bucketOf = (granularity: Granularity, timeMs: number): string =>
  granularity === 'hour' ? hourBucket(timeMs) : dayBucket(timeMs);

/** What a counter counts, whichever shard's item holds (part of) it: every shard's item of one counter has the same identity. */
export const counterIdentity = (
  projectId: string,
  counter: { readonly kind: 'count' | 'unique'; readonly bucket: string; readonly event?: string; readonly source?: string },
): string => JSON.stringify([projectId, counter.kind, counter.bucket, counter.event ?? null, counter.source ?? null]);

/**
 * The counter shard one transaction writes: a hash of the stream shard, the transaction's last
 * record and the attempt, so the batches of one stream shard, and those of different stream shards,
 * spread evenly over the shards (`PartitionShards.counters`), and a transaction cancelled by a
 * concurrent writer tries again elsewhere. Exactness does not depend on the choice: the shards of a
 * counter are added when read, and the mark moves in the same transaction as the ADDs, whichever shard they hit.
 */
export const counterShardFor = (streamShardId: string, lastSequenceNumber: string, attempt: number, shards: number): number =>
  shardOf(`${streamShardId}#${lastSequenceNumber}#${attempt}`, shards);

function countDelta(
  projectId: string,
  granularity: Granularity,
  timeMs: number,
  event: string,
  source: string,
  shard: number,
): CounterDelta {
  const bucket = bucketOf(granularity, timeMs);
  return {
    pk: eventCounterPartition(projectId, event, granularity, bucket, shard),
    sk: countCounterSortKey(bucket, source),
    kind: 'count',
    projectId,
    granularity,
    bucket,
    event,
    source,
    count: 0,
    sumMicros: 0n,
  };
}

function uniqueDelta(projectId: string, timeMs: number, event: string | undefined, shard: number): CounterDelta {
  const bucket = bucketOf('day', timeMs);
  const delta: CounterDelta = {
    pk:
      event === undefined
        ? allEventsCounterPartition(projectId, bucket, shard)
        : eventCounterPartition(projectId, event, 'day', bucket, shard),
    sk: uniqueCounterSortKey(bucket),
    kind: 'unique',
    projectId,
    granularity: 'day',
    bucket,
    count: 0,
    sumMicros: 0n,
  };
  return event === undefined ? delta : { ...delta, event };
}

/** An event name counted in a month: recorded before the counters that use it commit, so a query listing the month's names finds it. */
export type EventName = CounterKey & { readonly event: string };

export type BatchPlan = {
  /** Count and sum per (bucket, event, source), hourly and daily, summed over the batch, in counter shard `shard`. */
  readonly counters: CounterDelta[];
  /** One candidate marker per distinct (day, event, device) and (day, device), first event wins. */
  readonly markers: UniqueMarker[];
  /** One per distinct (project, month, event) of the batch. */
  readonly names: EventName[];
};

export function planCounters(events: readonly CountedEvent[], shard = 0): BatchPlan {
  const counters = new Map<string, CounterDelta>();
  const markers = new Map<string, UniqueMarker>();
  const names = new Map<string, EventName>();
  const merge = (delta: CounterDelta) => {
    const id = `${delta.pk}\u0000${delta.sk}`;
    const existing = counters.get(id);
    if (existing) return existing;
    counters.set(id, delta);
    return delta;
  };
  for (const e of events) {
    const source = e.source ?? NO_SOURCE;
    for (const granularity of ['hour', 'day'] as const) {
      const counter = merge(countDelta(e.projectId, granularity, e.timeMs, e.event, source, shard));
      counter.count += 1;
      counter.sumMicros += e.valueMicros ?? 0n;
    }
    const day = dayBucket(e.timeMs);
    const name = { ...eventNameKey(e.projectId, day.slice(0, 7), e.event), event: e.event };
    names.set(`${name.pk}\u0000${name.sk}`, name);
    for (const event of [e.event, undefined]) {
      const { pk, sk } = uniqueMarkerKey(e.projectId, day, e.deviceId, event);
      const id = `${pk}\u0000${sk}`;
      if (!markers.has(id)) {
        markers.set(id, { pk, sk, ownerEventId: e.eventId, counter: merge(uniqueDelta(e.projectId, e.timeMs, event, shard)) });
      }
    }
  }
  return { counters: [...counters.values()], markers: [...markers.values()], names: [...names.values()] };
}

/**
 * Splits a batch, in stream order, into consecutive groups whose writes fit in one transaction next
 * to the high-water mark. `itemsOf` names the items one entry writes (the same name for the same item).
 * Each group's transaction advances the mark to its last record, so a crash between two groups
 * leaves a mark that says exactly what was applied.
 */
export function groupForTransactions<T>(entries: readonly T[], itemsOf: (entry: T) => readonly string[], maxItems: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let items = new Set<string>();
  for (const entry of entries) {
    const ids = itemsOf(entry);
    if (current.length > 0 && items.size + ids.filter((id) => !items.has(id)).length > maxItems) {
      groups.push(current);
      current = [];
      items = new Set();
    }
    current.push(entry);
    for (const id of ids) items.add(id);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** The counters one event moves (by identity, whatever shard): hourly and daily count, unique devices of its event and of the day. */
export function counterIdsOf(e: CountedEvent): string[] {
  const source = e.source ?? NO_SOURCE;
  const day = bucketOf('day', e.timeMs);
  return [
    counterIdentity(e.projectId, { kind: 'count', bucket: bucketOf('hour', e.timeMs), event: e.event, source }),
    counterIdentity(e.projectId, { kind: 'count', bucket: day, event: e.event, source }),
    counterIdentity(e.projectId, { kind: 'unique', bucket: day, event: e.event }),
    counterIdentity(e.projectId, { kind: 'unique', bucket: day }),
  ];
}

/** Stream sequence numbers are decimal strings of up to 40 digits. */
export const compareSequenceNumbers = (a: string, b: string): number => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};
