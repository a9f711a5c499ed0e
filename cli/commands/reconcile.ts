/**
 * `tidemark reconcile --from DAY --to DAY [--project P] [--fix]`: recounts whole UTC days from the
 * stored events and compares every counter (count and exact sum per hour and day, event and source;
 * unique devices per day) with what the AggregatesTable holds, adding each counter's shards. With
 * `--fix`, each counter that differs is set to the recount in its shard 0 and its other shards'
 * items are deleted, in one transaction conditional on every count still being the one read, so a
 * repair never overwrites a concurrent stream update and running it again changes nothing; missing
 * unique-device markers and event names are created so later events do not count those devices
 * again and queries find the names.
 *
 * The events are read with a Scan of the events table (`stored-events.ts`). A range is closed when no event of it
 * is still in flight (offline devices may upload old events late: reconcile after they are in).
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PutCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoAggregateStore } from '../../lambdas/adapters/aggregate-store.js';
import { counterReadsFor, eventNamePartitionsFor, type CounterRow } from '../../lambdas/core/aggregate-query.js';
import { counterIdentity, planCounters, type CountedEvent, type CounterDelta, type UniqueMarker } from '../../lambdas/core/aggregation.js';
import { countCounterSortKey, uniqueCounterSortKey } from '../../lambdas/core/item-keys.js';
import { formatMicros, toMicros } from '../../lambdas/core/micro-units.js';
import { PartitionShards } from '../../resources/index.js';
import type { Target } from '../target.js';
import { scanStoredEvents } from './stored-events.js';

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
    if (!Number.isFinite(ms) || ms % DAY_MS !== 0)
      throw new Error(`--${name} must be a UTC day, such as 2024-03-10 (got ${text ?? 'nothing'})`);
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
    const expected = new Map(plan.counters.map((counter) => [counterIdentity(projectId, counter), counter]));
    const names = new Set(plan.counters.flatMap((counter) => (counter.event === undefined ? [] : [counter.event])));
    const stored = await storedCounters(store, projectId, names, options);
    const identities = new Set([...expected.keys(), ...stored.keys()]);
    report.counters += identities.size;
    for (const id of identities) {
      const want = expected.get(id);
      const have = stored.get(id);
      const wantSum = want?.sumMicros ?? 0n;
      if ((want?.count ?? 0) === (have?.count ?? 0) && wantSum === (have?.sumMicros ?? 0n)) continue;
      const shown = want ?? have!.items[0]!;
      report.differences.push({
        projectId,
        pk: shown.pk,
        sk: shown.sk,
        stored: { count: have?.count ?? 0, sum: formatMicros(have?.sumMicros ?? 0n) },
        recounted: { count: want?.count ?? 0, sum: formatMicros(wantSum) },
      });
      if (!options.fix) continue;
      const repaired = await setCounter(target, want, have?.items ?? []);
      if (repaired) report.fixed++;
      else report.movedMeanwhile++;
    }
    if (options.fix) {
      await Promise.all(plan.names.map((name) => store.recordEventName(name)));
      await createMissingMarkers(target, plan.markers);
    }
  }
  return report;
}

async function storedEvents(target: Target, options: ReconcileOptions): Promise<CountedEvent[]> {
  const events: CountedEvent[] = [];
  for await (const page of scanStoredEvents(target, options, ['projectId', 'eventId', 'event', 'deviceId', 'source', 'value', 'ts'])) {
    for (const raw of page) {
      // Read with number wrapping: a value is recounted from its exact text, as the aggregator does.
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
  }
  return events;
}

/** One shard's item of a counter, as read. */
type StoredItem = { readonly pk: string; readonly sk: string; readonly row: CounterRow };
/** A counter: its shards' items added up. */
type StoredCounter = { count: number; sumMicros: bigint; readonly items: StoredItem[] };

/**
 * Every hourly and daily counter of the project's range, by identity, shards added: the counters
 * of the events recorded in the range's names partitions and of those the recount found.
 */
async function storedCounters(
  store: DynamoAggregateStore,
  projectId: string,
  recounted: Set<string>,
  options: ReconcileOptions,
): Promise<Map<string, StoredCounter>> {
  const range = { projectId, fromMs: options.fromMs, toMs: options.toMs };
  const recorded = await Promise.all(eventNamePartitionsFor(range).map((pk) => store.eventNames(pk)));
  const events = [...new Set([...recounted, ...recorded.flat()])];
  const counters = new Map<string, StoredCounter>();
  for (const granularity of ['hour', 'day'] as const) {
    for (const read of counterReadsFor({ ...range, granularity }, events, PartitionShards.counters, granularity === 'day')) {
      for (const row of await store.queryPartition(read.pk, read.fromSk, read.toSk)) {
        const id = counterIdentity(projectId, row);
        const counter = counters.get(id) ?? { count: 0, sumMicros: 0n, items: [] };
        counter.count += row.count;
        counter.sumMicros += row.sumMicros;
        counter.items.push({
          pk: read.pk,
          sk: row.kind === 'unique' ? uniqueCounterSortKey(row.bucket) : countCounterSortKey(row.bucket, row.source ?? ''),
          row,
        });
        counters.set(id, counter);
      }
    }
  }
  return counters;
}

/**
 * Sets one counter to its recount: its shard-0 item holds the recount and every other shard's item
 * is deleted, each on the condition that its count is still the one read. False when the stream
 * moved one of them meanwhile (the transaction is cancelled, nothing changes).
 */
async function setCounter(target: Target, want: CounterDelta | undefined, items: readonly StoredItem[]): Promise<boolean> {
  const seen = (item: StoredItem) => ({
    ConditionExpression: '#count = :seen',
    ExpressionAttributeNames: { '#count': 'count' },
    ExpressionAttributeValues: { ':seen': item.row.count },
  });
  const kept = want && items.find((item) => item.pk === want.pk && item.sk === want.sk);
  const actions: NonNullable<TransactWriteCommandInput['TransactItems']> = items
    .filter((item) => item !== kept)
    .map((item) => ({ Delete: { TableName: target.aggregatesTableName, Key: { pk: item.pk, sk: item.sk }, ...seen(item) } }));
  if (want) {
    const { pk, sk, kind, bucket, count, sumMicros } = want;
    actions.push({
      Put: {
        TableName: target.aggregatesTableName,
        Item: { pk, sk, count, sumMicros, kind, bucket, event: want.event ?? null, source: want.source ?? null },
        ...(kept ? seen(kept) : { ConditionExpression: 'attribute_not_exists(pk)' }),
      },
    });
  }
  try {
    await target.documents.send(new TransactWriteCommand({ TransactItems: actions }));
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException) return false;
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
