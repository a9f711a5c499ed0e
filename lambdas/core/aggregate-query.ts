/**
 * GET /v1/aggregates: the parameters, the counter partitions a query reads (only those of the events
 * it asks for, in every counter shard), and how counter items become the answer's series. Pure:
 * lambdas/query/aggregates.ts does the reading.
 */
import { ReadApi } from '../../resources/read-api.js';
import { BadRequestError } from './errors.js';
import type { Granularity, GroupBy, SeriesPoint } from '../../resources/api-answers.js';
import { bucketOf, NO_SOURCE } from './aggregation.js';
import { allEventsCounterPartition, counterSortKeyRange, eventCounterPartition, eventNamesPartition } from './item-keys.js';
import { formatMicros, microsToNumber } from './micro-units.js';
import { parseTimestamp } from './timestamps.js';

export type AggregateQuery = {
  readonly projectId: string;
  readonly events?: readonly string[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly granularity: Granularity;
  readonly groupBy: GroupBy;
};

const MaxRangeDays: Record<Granularity, number> = ReadApi.maxAggregateRangeDays;

export type CounterRow = {
  readonly kind: 'count' | 'unique';
  readonly bucket: string;
  readonly event?: string;
  readonly source?: string;
  readonly count: number;
  /** Sum of `value` in micro-units. */
  readonly sumMicros: bigint;
};

export function parseAggregateQuery(projectId: string, params: Readonly<Record<string, string | undefined>>): AggregateQuery {
  const fromMs = requiredTime(params, 'from');
  const toMs = requiredTime(params, 'to');
  if (toMs <= fromMs) throw new BadRequestError('`to` must be after `from` (`to` is exclusive).', 'invalid_range');
  const granularity = oneOf(params.granularity ?? 'day', ['hour', 'day'] as const, 'granularity');
  const groupBy = oneOf(params.groupBy ?? 'none', ['none', 'event', 'source'] as const, 'groupBy');
  const maxMs = MaxRangeDays[granularity] * 86_400_000;
  if (toMs - fromMs > maxMs) {
    throw new BadRequestError(
      `Range is wider than ${MaxRangeDays[granularity]} days, the most granularity=${granularity} answers; narrow it or use granularity=day.`,
      'range_too_wide',
    );
  }
  const events = params.event
    ?.split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  return { projectId, fromMs, toMs, granularity, groupBy, ...(events && events.length > 0 ? { events } : {}) };
}

export type CounterRead = { readonly pk: string; readonly fromSk: string; readonly toSk: string };

/** The months (`YYYY-MM`) a range touches, in order. */
function monthsOf(fromMs: number, toMs: number): string[] {
  const months: string[] = [];
  const last = bucketOf('day', toMs - 1).slice(0, 7);
  const first = new Date(fromMs);
  for (let i = 0; ; i++) {
    const month = bucketOf('day', Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + i, 1)).slice(0, 7);
    months.push(month);
    if (month >= last) return months;
  }
}

/** The names partitions a query that names no event reads first, to learn the events counted in its months. */
export const eventNamePartitionsFor = (query: Pick<AggregateQuery, 'projectId' | 'fromMs' | 'toMs'>): string[] =>
  monthsOf(query.fromMs, query.toMs).map((month) => eventNamesPartition(query.projectId, month));

/** Whether the answer needs the day's unique devices over every event: a daily, ungrouped query over every event. */
export const needsAllEventsUniques = (query: AggregateQuery): boolean =>
  query.granularity === 'day' && query.groupBy === 'none' && query.events === undefined;

/**
 * The partitions and sort-key ranges holding the counters of `events` over the query's range (and,
 * when `allEventsUniques`, the unique devices over every event), in each of the `shards` counter
 * shards: nothing of any other event is read.
 */
export function counterReadsFor(
  query: Pick<AggregateQuery, 'projectId' | 'fromMs' | 'toMs' | 'granularity'>,
  events: readonly string[],
  shards: number,
  allEventsUniques: boolean,
): CounterRead[] {
  const firstBucket = bucketOf(query.granularity, query.fromMs);
  const lastBucket = bucketOf(query.granularity, query.toMs - 1);
  const range = counterSortKeyRange(firstBucket, lastBucket);
  const months = monthsOf(query.fromMs, query.toMs);
  // One bucket per period is enough to name a partition: hours are kept per month, days per year.
  const periodBuckets = [
    ...new Set(query.granularity === 'hour' ? months.map((m) => `${m}-01T00`) : months.map((m) => `${m.slice(0, 4)}-01-01`)),
  ];
  const reads: CounterRead[] = [];
  for (let shard = 0; shard < shards; shard++) {
    for (const bucket of periodBuckets) {
      for (const event of events)
        reads.push({
          pk: eventCounterPartition(query.projectId, event, query.granularity, bucket, shard),
          fromSk: range.from,
          toSk: range.to,
        });
      if (allEventsUniques)
        reads.push({ pk: allEventsCounterPartition(query.projectId, bucket, shard), fromSk: range.from, toSk: range.to });
    }
  }
  return reads;
}

export function summarize(rows: readonly CounterRow[], query: AggregateQuery): SeriesPoint[] {
  const wanted = query.events ? new Set(query.events) : undefined;
  const points = new Map<string, SeriesPoint>();
  const sums = new Map<SeriesPoint, bigint>();
  for (const row of rows) {
    if (row.kind !== 'count' || (wanted && !wanted.has(row.event ?? ''))) continue;
    const event = query.groupBy === 'event' ? row.event : undefined;
    const source = query.groupBy === 'source' ? (row.source ?? NO_SOURCE) : undefined;
    const id = JSON.stringify([row.bucket, event ?? null, source ?? null]);
    let point = points.get(id);
    if (!point) {
      point = { bucket: bucketStart(row.bucket), count: 0, sum: 0, sumExact: '0' };
      if (event !== undefined) point.event = event;
      if (source !== undefined) point.source = source === NO_SOURCE ? null : source;
      points.set(id, point);
    }
    point.count += row.count;
    sums.set(point, (sums.get(point) ?? 0n) + row.sumMicros);
  }
  if (query.granularity === 'day' && query.groupBy !== 'source') addUniqueDevices(points, rows, query);
  for (const [point, micros] of sums) {
    point.sum = microsToNumber(micros);
    point.sumExact = formatMicros(micros);
  }
  return [...points.values()].sort(
    (a, b) =>
      a.bucket.localeCompare(b.bucket) || (a.event ?? '').localeCompare(b.event ?? '') || String(a.source).localeCompare(String(b.source)),
  );
}

/** Unique devices are exact per event and per day over all events; they cannot be summed across events. */
function addUniqueDevices(points: Map<string, SeriesPoint>, rows: readonly CounterRow[], query: AggregateQuery) {
  const single = query.events?.length === 1 ? query.events[0] : undefined;
  if (query.groupBy === 'none' && query.events && !single) return;
  for (const row of rows) {
    if (row.kind !== 'unique') continue;
    const matches =
      query.groupBy === 'event'
        ? row.event !== undefined && (!query.events || query.events.includes(row.event))
        : single !== undefined
          ? row.event === single
          : row.event === undefined;
    if (!matches) continue;
    const id = JSON.stringify([row.bucket, query.groupBy === 'event' ? row.event : null, null]);
    const point = points.get(id);
    // A counter's shards hold parts of it: they add up.
    if (point) point.uniqueDevices = (point.uniqueDevices ?? 0) + row.count;
  }
}

const bucketStart = (bucket: string) => (bucket.length === 13 ? `${bucket}:00:00.000Z` : `${bucket}T00:00:00.000Z`);

function requiredTime(params: Readonly<Record<string, string | undefined>>, name: string): number {
  const raw = params[name];
  if (!raw) throw new BadRequestError(`\`${name}\` is required (ISO 8601).`, 'invalid_parameter');
  const value = parseTimestamp(raw);
  if (value === undefined) throw new BadRequestError(`\`${name}\` is not a time: '${raw.slice(0, 64)}'.`, 'invalid_parameter');
  return value;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], name: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new BadRequestError(`\`${name}\` must be one of ${allowed.join(', ')}.`, 'invalid_parameter');
}
