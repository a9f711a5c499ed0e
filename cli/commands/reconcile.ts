/**
 * `tidemark reconcile --from DAY --to DAY [--project P] [--fix]`: recounts whole UTC days from the
 * stored events and compares every counter (count and exact sum per hour and day, event and source;
 * unique devices per day) with what the AggregatesTable holds. With `--fix`, each counter that
 * differs is set to the recount, on the condition that its count is still the one read, so a
 * repair never overwrites a concurrent stream update and running it again changes nothing; missing
 * unique-device markers are created so later events do not count those devices again.
 *
 * The events are read with a Scan of the events table (filtered by time and project): the tool
 * for an operator after an incident, not for every minute. A range is closed when no event of it
 * is still in flight (offline devices may upload old events late: reconcile after they are in).
 */
import { ConditionalCheckFailedException, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoAggregateStore } from '../../lambdas/adapters/aggregate-store.js';
import type { CounterRow } from '../../lambdas/core/aggregate-query.js';
import { planCounters, type CountedEvent, type CounterDelta, type UniqueMarker } from '../../lambdas/core/aggregation.js';
import { counterPartition, counterSortKeyRange, countCounterSortKey, uniqueCounterSortKey } from '../../lambdas/core/item-keys.js';
import { formatMicros, toMicros } from '../../lambdas/core/micro-units.js';
import { dayBucket } from '../../lambdas/core/timestamps.js';
import type { Target } from '../target.js';

const DAY_MS = 86_400_000;

export type ReconcileOptions = { readonly fromMs: number; readonly toMs: number; readonly projectId?: string; readonly fix: boolean };

export type CounterDifference = {
  readonly projectId: string;
  readonly pk: string;
  readonly sk: string;
  readonly stored: { count: number; sum: string };
  readonly recounted: { count: number; sum: string };
};

export type ReconcileReport = {
  readonly events: number;
  readonly counters: number;
  readonly differences: CounterDifference[];
  readonly fixed: number;
  /** Counters the stream moved between the read and the repair: run again once the range is quiet. */
  readonly movedMeanwhile: number;
};

/** Parses `--from`/`--to`: whole UTC days, `to` exclusive. */
export function parseDayRange(from: string | undefined, to: string | undefined): { fromMs: number; toMs: number } {
  const day = (text: string | undefined, name: string) => {
    const ms = text ? Date.parse(text) : Number.NaN;
    if (!Number.isFinite(ms) || ms % DAY_MS !== 0) throw new Error(`--${name} must be a UTC day, such as 2024-03-10 (got ${text ?? 'nothing'})`);
    return ms;
  };
  const range = { fromMs: day(from, 'from'), toMs: day(to, 'to') };
  if (range.toMs <= range.fromMs) throw new Error('--to must be after --from (it is exclusive)');
  if (range.toMs - range.fromMs > 366 * DAY_MS) throw new Error('reconcile at most 366 days at a time');
  return range;
}

export async function reconcile(target: Target, options: ReconcileOptions): Promise<ReconcileReport> {
  const events = await storedEvents(target, options);
  const byProject = new Map<string, CountedEvent[]>();
  for (const event of events) byProject.set(event.projectId, [...(byProject.get(event.projectId) ?? []), event]);
  if (options.projectId && !byProject.has(options.projectId)) byProject.set(options.projectId, []);

  const store = new DynamoAggregateStore(target.documents, target.aggregatesTableName);
  const report = { events: events.length, counters: 0, differences: [] as CounterDifference[], fixed: 0, movedMeanwhile: 0 };
  for (const [projectId, projectEvents] of byProject) {
    const plan = planCounters(projectEvents);
    for (const marker of plan.markers) marker.counter.count += 1;
    const expected = new Map(plan.counters.map((counter) => [`${counter.pk}\u0000${counter.sk}`, counter]));
    const stored = await storedCounters(store, projectId, options);
    report.counters += new Set([...expected.keys(), ...stored.keys()]).size;
    for (const id of new Set([...expected.keys(), ...stored.keys()])) {
      const want = expected.get(id);
      const have = stored.get(id);
      const wantSum = want?.sumMicros ?? 0n;
      if ((want?.count ?? 0) === (have?.row.count ?? 0) && wantSum === (have?.row.sumMicros ?? 0n)) continue;
      const [pk, sk] = id.split('\u0000') as [string, string];
      report.differences.push({
        projectId,
        pk,
        sk,
        stored: { count: have?.row.count ?? 0, sum: formatMicros(have?.row.sumMicros ?? 0n) },
        recounted: { count: want?.count ?? 0, sum: formatMicros(wantSum) },
      });
      if (!options.fix) continue;
      const repaired = await setCounter(target, { pk, sk }, want, have?.row);
      if (repaired) report.fixed++;
      else report.movedMeanwhile++;
    }
    if (options.fix) await createMissingMarkers(target, plan.markers);
  }
  return report;
}

async function storedEvents(target: Target, options: ReconcileOptions): Promise<CountedEvent[]> {
  const events: CountedEvent[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    // Read with number wrapping: a value is recounted from its exact text, as the aggregator does.
    const page = await target.documents.send(
      new ScanCommand({
        TableName: target.eventsTableName,
        FilterExpression: `ts >= :from AND ts < :to${options.projectId ? ' AND projectId = :project' : ''}`,
        ExpressionAttributeValues: {
          ':from': { N: String(options.fromMs) },
          ':to': { N: String(options.toMs) },
          ...(options.projectId ? { ':project': { S: options.projectId } } : {}),
        },
        ProjectionExpression: 'projectId, eventId, #event, deviceId, #source, #value, ts',
        ExpressionAttributeNames: { '#event': 'event', '#source': 'source', '#value': 'value' },
        ExclusiveStartKey: start,
      }),
    );
    for (const raw of page.Items ?? []) {
      const item = unmarshall(raw, { wrapNumbers: true }) as Record<string, { value?: string } | string | null | undefined>;
      const number = (attribute: unknown) => String((attribute as { value?: string }).value ?? attribute);
      const valueMicros = item.value === undefined || item.value === null ? undefined : toMicros(number(item.value));
      events.push({
        sequenceNumber: '0',
        projectId: String(item.projectId),
        eventId: String(item.eventId),
        event: String(item.event),
        deviceId: String(item.deviceId),
        timeMs: Number(number(item.ts)),
        ...(typeof item.source === 'string' ? { source: item.source } : {}),
        ...(valueMicros === undefined ? {} : { valueMicros }),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return events;
}

type StoredCounter = { row: CounterRow };

/** Every hourly and daily counter of the project's days in range, by `pk\0sk`. */
async function storedCounters(store: DynamoAggregateStore, projectId: string, options: ReconcileOptions): Promise<Map<string, StoredCounter>> {
  const counters = new Map<string, StoredCounter>();
  for (let dayMs = options.fromMs; dayMs < options.toMs; dayMs += DAY_MS) {
    const day = dayBucket(dayMs);
    const reads = [
      { granularity: 'hour' as const, range: counterSortKeyRange(`${day}T00`, `${day}T23`) },
      { granularity: 'day' as const, range: counterSortKeyRange(day, day) },
    ];
    for (const { granularity, range } of reads) {
      const pk = counterPartition(projectId, granularity, day);
      for (const row of await store.queryPartition(pk, range.from, range.to)) {
        const sk = row.kind === 'unique' ? uniqueCounterSortKey(row.bucket, row.event) : countCounterSortKey(row.bucket, row.event ?? '', row.source ?? '');
        counters.set(`${pk}\u0000${sk}`, { row });
      }
    }
  }
  return counters;
}

/** Sets one counter to its recount if its count is still the one read. False when the stream moved it meanwhile. */
async function setCounter(target: Target, key: { pk: string; sk: string }, want: CounterDelta | undefined, have: CounterRow | undefined): Promise<boolean> {
  try {
    await target.documents.send(
      new UpdateCommand({
        TableName: target.aggregatesTableName,
        Key: key,
        UpdateExpression: 'SET #count = :count, #sum = :sum, #kind = :kind, #bucket = :bucket, #event = :event, #source = :source REMOVE #legacySum',
        ConditionExpression: have === undefined ? 'attribute_not_exists(pk)' : '#count = :seen',
        ExpressionAttributeNames: {
          '#count': 'count',
          '#sum': 'sumMicros',
          '#legacySum': 'sum',
          '#kind': 'kind',
          '#bucket': 'bucket',
          '#event': 'event',
          '#source': 'source',
        },
        ExpressionAttributeValues: {
          ':count': want?.count ?? 0,
          ':sum': want?.sumMicros ?? 0n,
          ':kind': want?.kind ?? have?.kind ?? 'count',
          ':bucket': want?.bucket ?? have?.bucket ?? '',
          ':event': want?.event ?? have?.event ?? null,
          ':source': want?.source ?? have?.source ?? null,
          ...(have === undefined ? {} : { ':seen': have.count }),
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

async function createMissingMarkers(target: Target, markers: readonly UniqueMarker[]): Promise<void> {
  for (const marker of markers) {
    try {
      await target.documents.send(
        new PutCommand({
          TableName: target.aggregatesTableName,
          Item: { pk: marker.pk, sk: marker.sk, owner: `reconcile:${marker.ownerEventId}` },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
