/**
 * Aggregation math: which counter items an event moves, pre-aggregated per batch, and the split of
 * a batch into record-aligned groups that each fit one transaction. Key layouts live in item-keys.ts.
 */
import { countCounterSortKey, counterPartition, uniqueCounterSortKey, uniqueMarkerKey } from './item-keys.js';
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


function countDelta(projectId: string, granularity: Granularity, timeMs: number, event: string, source: string): CounterDelta {
  const bucket = bucketOf(granularity, timeMs);
  return {
    pk: counterPartition(projectId, granularity, bucket),
    sk: countCounterSortKey(bucket, event, source),
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

function uniqueDelta(projectId: string, timeMs: number, event: string | undefined): CounterDelta {
  const bucket = bucketOf('day', timeMs);
  const delta: CounterDelta = {
    pk: counterPartition(projectId, 'day', bucket),
    sk: uniqueCounterSortKey(bucket, event),
    kind: 'unique',
    projectId,
    granularity: 'day',
    bucket,
    count: 0,
    sumMicros: 0n,
  };
  return event === undefined ? delta : { ...delta, event };
}

export type BatchPlan = {
  /** Count and sum per (bucket, event, source), hourly and daily, summed over the batch. */
  readonly counters: CounterDelta[];
  /** One candidate marker per distinct (day, event, device) and (day, device), first event wins. */
  readonly markers: UniqueMarker[];
};

export function planCounters(events: readonly CountedEvent[]): BatchPlan {
  const counters = new Map<string, CounterDelta>();
  const markers = new Map<string, UniqueMarker>();
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
      const counter = merge(countDelta(e.projectId, granularity, e.timeMs, e.event, source));
      counter.count += 1;
      counter.sumMicros += e.valueMicros ?? 0n;
    }
    const day = dayBucket(e.timeMs);
    for (const event of [e.event, undefined]) {
      const { pk, sk } = uniqueMarkerKey(e.projectId, day, e.deviceId, event);
      const id = `${pk}\u0000${sk}`;
      if (!markers.has(id)) {
        markers.set(id, { pk, sk, ownerEventId: e.eventId, counter: merge(uniqueDelta(e.projectId, e.timeMs, event)) });
      }
    }
  }
  return { counters: [...counters.values()], markers: [...markers.values()] };
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

/** The counter items one event moves: hourly and daily count, unique devices of its event and of the day. */
export function counterIdsOf(e: CountedEvent): string[] {
  const source = e.source ?? NO_SOURCE;
  const day = bucketOf('day', e.timeMs);
  const hour = bucketOf('hour', e.timeMs);
  return [
    countCounterSortKey(hour, e.event, source),
    countCounterSortKey(day, e.event, source),
    uniqueCounterSortKey(day, e.event),
    uniqueCounterSortKey(day, undefined),
  ].map((sk) => `${e.projectId}\u0000${sk}`);
}

/** Stream sequence numbers are decimal strings of up to 40 digits. */
export const compareSequenceNumbers = (a: string, b: string): number => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};
