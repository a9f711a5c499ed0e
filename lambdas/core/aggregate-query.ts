/**
 * GET /v1/aggregates: the parameters, the counter partitions a query reads, and how counter items
 * become the answer's series. Pure: the query handler does the reading.
 */
import { ReadApi } from '../../resources/read-api.js';
import { BadRequestError } from './errors.js';
import type { Granularity, GroupBy, SeriesPoint } from '../../resources/api-answers.js';
import { bucketOf, NO_SOURCE } from './aggregation.js';
import { counterPartition, counterSortKeyRange } from './item-keys.js';
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

/** The partitions and sort-key ranges that hold every bucket the query touches. */
export function partitionsFor(query: AggregateQuery): { pk: string; fromSk: string; toSk: string }[] {
  const firstBucket = bucketOf(query.granularity, query.fromMs);
  const lastBucket = bucketOf(query.granularity, query.toMs - 1);
  const partitions = new Map<string, { pk: string; fromSk: string; toSk: string }>();
  const stepMs = query.granularity === 'hour' ? 3_600_000 : 86_400_000;
  for (let t = query.fromMs - (query.fromMs % stepMs); t < query.toMs; t += stepMs) {
    const bucket = bucketOf(query.granularity, t);
    const pk = counterPartition(query.projectId, query.granularity, bucket);
    if (!partitions.has(pk)) {
      const range = counterSortKeyRange(firstBucket, lastBucket);
      partitions.set(pk, { pk, fromSk: range.from, toSk: range.to });
    }
  }
  return [...partitions.values()];
}

export function summarize(rows: readonly CounterRow[], query: AggregateQuery): SeriesPoint[] {
  const wanted = query.events ? new Set(query.events) : undefined;
  const points = new Map<string, SeriesPoint>();
  const sums = new Map<SeriesPoint, bigint>();
  for (const row of rows) {
    if (row.kind !== 'count' || (wanted && !wanted.has(row.event ?? ''))) continue;
    const event = query.groupBy === 'event' ? row.event : undefined;
    const source = query.groupBy === 'source' ? row.source ?? NO_SOURCE : undefined;
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
    (a, b) => a.bucket.localeCompare(b.bucket) || (a.event ?? '').localeCompare(b.event ?? '') || String(a.source).localeCompare(String(b.source)),
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
    if (point) point.uniqueDevices = row.count;
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
