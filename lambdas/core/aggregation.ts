/**
 * Aggregation math: which counter items an event moves, pre-aggregated per batch, and the split of
 * a batch into record-aligned groups that each fit one transaction.
 *
 * Counter items are laid out so one Query reads a range: hourly counters of one day share a
 * partition (`C#project#H#2024-01-15`), daily counters of one month share one (`C#project#D#2024-01`).
 */
import { dayBucket, hourBucket } from './timestamps.js';

export type Granularity = 'hour' | 'day';

/** What the aggregator needs of a stored event. */
export type CountedEvent = {
  /** Stream sequence number: increases within a shard. */
  readonly sequenceNumber: string;
  readonly projectId: string;
  readonly eventId: string;
  readonly event: string;
  readonly source?: string;
  readonly value?: number;
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
  sum: number;
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

/** The partition holding a bucket: a day of hours, or a month of days. */
export const counterPartition = (projectId: string, granularity: Granularity, bucket: string): string =>
  granularity === 'hour' ? `C#${projectId}#H#${bucket.slice(0, 10)}` : `C#${projectId}#D#${bucket.slice(0, 7)}`;

const countSortKey = (bucket: string, event: string, source: string) => `${bucket}#C#${JSON.stringify([event, source])}`;
const uniqueSortKey = (bucket: string, event: string | undefined) =>
  event === undefined ? `${bucket}#U*` : `${bucket}#U#${JSON.stringify(event)}`;

function countDelta(projectId: string, granularity: Granularity, timeMs: number, event: string, source: string): CounterDelta {
  const bucket = bucketOf(granularity, timeMs);
  return {
    pk: counterPartition(projectId, granularity, bucket),
    sk: countSortKey(bucket, event, source),
    kind: 'count',
    projectId,
    granularity,
    bucket,
    event,
    source,
    count: 0,
    sum: 0,
  };
}

function uniqueDelta(projectId: string, timeMs: number, event: string | undefined): CounterDelta {
  const bucket = bucketOf('day', timeMs);
  const delta: CounterDelta = {
    pk: counterPartition(projectId, 'day', bucket),
    sk: uniqueSortKey(bucket, event),
    kind: 'unique',
    projectId,
    granularity: 'day',
    bucket,
    count: 0,
    sum: 0,
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
      counter.sum += e.value ?? 0;
    }
    const day = dayBucket(e.timeMs);
    for (const event of [e.event, undefined]) {
      const pk = `M#${e.projectId}#${day}`;
      const sk = JSON.stringify(event === undefined ? [e.deviceId] : [event, e.deviceId]);
      const id = `${pk}\u0000${sk}`;
      if (!markers.has(id)) {
        markers.set(id, { pk, sk, ownerEventId: e.eventId, counter: merge(uniqueDelta(e.projectId, e.timeMs, event)) });
      }
    }
  }
  return { counters: [...counters.values()], markers: [...markers.values()] };
}

/**
 * Splits a batch, in stream order, into consecutive groups whose counter updates fit in one
 * transaction next to the checkpoint update. Each group's transaction advances the checkpoint to
 * its last record, so a crash between two groups leaves a checkpoint that says exactly what was applied.
 */
export function groupForTransactions(events: readonly CountedEvent[], maxCounterItems: number): CountedEvent[][] {
  const groups: CountedEvent[][] = [];
  let current: CountedEvent[] = [];
  let counterIds = new Set<string>();
  for (const event of events) {
    const ids = counterIdsOf(event);
    if (current.length > 0 && counterIds.size + ids.filter((id) => !counterIds.has(id)).length > maxCounterItems) {
      groups.push(current);
      current = [];
      counterIds = new Set();
    }
    current.push(event);
    for (const id of ids) counterIds.add(id);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** The counter items one event moves: hourly and daily count, unique devices of its event and of the day. */
function counterIdsOf(e: CountedEvent): string[] {
  const source = e.source ?? NO_SOURCE;
  const day = bucketOf('day', e.timeMs);
  const hour = bucketOf('hour', e.timeMs);
  return [
    countSortKey(hour, e.event, source),
    countSortKey(day, e.event, source),
    uniqueSortKey(day, e.event),
    uniqueSortKey(day, undefined),
  ].map((sk) => `${e.projectId}\u0000${sk}`);
}

/** Stream sequence numbers are decimal strings of up to 40 digits. */
export const compareSequenceNumbers = (a: string, b: string): number => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};
