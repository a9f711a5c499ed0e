/**
 * Counters in the AggregatesTable, applied exactly once. Each stream shard's high-water mark advances
 * in the same transaction as the counter ADDs of the records it covers (lambdas/aggregate/aggregate.ts).
 * Sums are integer micro-units read with number wrapping, so no sum is ever rounded or unreadable.
 */
import { QueryCommand, TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TRANSIENT_CANCELLATIONS } from './transaction-cancellations.js';
import { writeIfCondition } from './conditional-write.js';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Caches, Retention } from '../../resources/index.js';
import type { CounterRow } from '../core/aggregate-query.js';
import type { EventName, UniqueMarker } from '../core/aggregation.js';
import { quarantineKey, streamMarkKey } from '../core/item-keys.js';
import { toMicros } from '../core/micro-units.js';
import { CommitConflictError, MarkMovedError, UnappliableError } from '../aggregate/aggregate.js';
import type { Commit, CounterStore, ShardRef } from '../aggregate/ports.js';

export class DynamoAggregateStore implements CounterStore {
  readonly #knownMarkers = new Map<string, string>();
  readonly #knownNames = new Set<string>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async readMark(shard: ShardRef): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: streamMarkKey(shard.streamArn, shard.shardId), ConsistentRead: true }),
    );
    return typeof Item?.sequenceNumber === 'string' ? Item.sequenceNumber : undefined;
  }

  /**
   * Creates a unique-device marker. True when this marker is new for `ownerEventId`: created now,
   * or created by the same event in an attempt whose counter transaction never committed.
   */
  async claimMarker(marker: UniqueMarker): Promise<boolean> {
    const key = `${marker.pk}\u0000${marker.sk}`;
    const knownOwner = this.#knownMarkers.get(key);
    // A marker known to exist answers for itself: only its own owner (a retry) may still count it.
    if (knownOwner !== undefined && knownOwner !== marker.ownerEventId) return false;
    const claimed = await this.#putMarker(marker);
    if (this.#knownMarkers.size >= Caches.maxKnownMarkers) this.#knownMarkers.clear();
    this.#knownMarkers.set(key, claimed ? marker.ownerEventId : '');
    return claimed;
  }

  async recordEventName(name: EventName): Promise<void> {
    const key = `${name.pk}\u0000${name.sk}`;
    if (this.#knownNames.has(key)) return;
    await writeIfCondition(
      this.client,
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: name.pk, sk: name.sk, event: name.event },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (this.#knownNames.size >= Caches.maxKnownEventNames) this.#knownNames.clear();
    this.#knownNames.add(key);
  }

  /** The raw event names recorded in one names partition (`eventNamesPartition`). */
  async eventNames(pk: string): Promise<string[]> {
    const names: string[] = [];
    let after: Record<string, AttributeValue> | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk } },
          ProjectionExpression: '#event',
          ExpressionAttributeNames: { '#event': 'event' },
          ExclusiveStartKey: after,
        }),
      );
      for (const item of result.Items ?? []) if (typeof item.event?.S === 'string') names.push(item.event.S);
      after = result.LastEvaluatedKey;
    } while (after);
    return names;
  }

  async #putMarker(marker: UniqueMarker): Promise<boolean> {
    const { written } = await writeIfCondition(
      this.client,
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: marker.pk,
          sk: marker.sk,
          owner: marker.ownerEventId,
          expiresAt: Math.floor(Date.now() / 1000) + Retention.uniqueMarkerSeconds,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': marker.ownerEventId },
      }),
    );
    return written;
  }

  /**
   * One transaction: the mark moves from `previous` to `last` (the condition makes a concurrent or
   * repeated apply fail instead of counting twice), the counters are added, quarantined records kept.
   */
  async commit({ shard, previous, last, counters, quarantined }: Commit): Promise<void> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const markKey = streamMarkKey(shard.streamArn, shard.shardId);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...markKey, ...shard, sequenceNumber: last, expiresAt: nowSeconds + Retention.streamMarkSeconds },
                ConditionExpression: previous === undefined ? 'attribute_not_exists(pk)' : 'sequenceNumber = :previous',
                ...(previous === undefined ? {} : { ExpressionAttributeValues: { ':previous': previous } }),
              },
            },
            ...counters
              .filter((counter) => counter.count !== 0 || counter.sumMicros !== 0n)
              .map((counter) => ({
                Update: {
                  TableName: this.tableName,
                  Key: { pk: counter.pk, sk: counter.sk },
                  UpdateExpression: 'ADD #count :count, #sum :sum SET #kind = :kind, #bucket = :bucket, #event = :event, #source = :source',
                  ExpressionAttributeNames: {
                    '#count': 'count',
                    '#sum': 'sumMicros',
                    '#kind': 'kind',
                    '#bucket': 'bucket',
                    '#event': 'event',
                    '#source': 'source',
                  },
                  ExpressionAttributeValues: {
                    ':count': counter.count,
                    ':sum': counter.sumMicros,
                    ':kind': counter.kind,
                    ':bucket': counter.bucket,
                    ':event': counter.event ?? null,
                    ':source': counter.source ?? null,
                  },
                },
              })),
            ...quarantined.map((record) => ({
              Put: {
                TableName: this.tableName,
                Item: {
                  ...quarantineKey(shard.shardId, record.sequenceNumber),
                  ...shard,
                  sequenceNumber: record.sequenceNumber,
                  reason: record.reason.slice(0, 1000),
                  record: record.raw,
                  quarantinedAt: new Date().toISOString(),
                },
              },
            })),
          ],
        }),
      );
    } catch (error) {
      throw commitError(error, shard);
    }
  }

  /** Every counter item of one partition whose sort key falls in [fromSk, toSk]; numbers are read as exact text. */
  async queryPartition(pk: string, fromSk: string, toSk: string): Promise<CounterRow[]> {
    const items: CounterRow[] = [];
    let after: Record<string, AttributeValue> | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': { S: pk }, ':from': { S: fromSk }, ':to': { S: toSk } },
          ExclusiveStartKey: after,
        }),
      );
      for (const raw of result.Items ?? []) items.push(counterRowOf(unmarshall(raw, { wrapNumbers: true })));
      after = result.LastEvaluatedKey;
    } while (after);
    return items;
  }
}

/** A counter item as read with `wrapNumbers`: numbers arrive as `{ value: string }`, exact. */
export function counterRowOf(item: Record<string, unknown>): CounterRow {
  return {
    kind: item.kind === 'unique' ? 'unique' : 'count',
    bucket: String(item.bucket),
    ...(typeof item.event === 'string' ? { event: item.event } : {}),
    ...(typeof item.source === 'string' ? { source: item.source } : {}),
    count: Number(decimalAsMicros(item.count) / MICROS_PER_UNIT),
    // `sum` is the decimal layout counters had before micro-units; an upgraded table may still hold it.
    sumMicros: decimalAsMicros(item.sumMicros) / MICROS_PER_UNIT + decimalAsMicros(item.sum),
  };
}

const MICROS_PER_UNIT = 1_000_000n;

/** A wrapped DynamoDB number (DynamoDB may write it with an exponent) as micro-units; absent is 0. */
const decimalAsMicros = (attribute: unknown): bigint =>
  attribute === undefined || attribute === null ? 0n : (toMicros(String((attribute as { value?: unknown }).value ?? attribute)) ?? 0n);

function commitError(error: unknown, shard: ShardRef): unknown {
  if (error instanceof TransactionCanceledException) {
    const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
    if (codes[0] === 'ConditionalCheckFailed') return new MarkMovedError(shard);
    if (codes.some((code) => TRANSIENT_CANCELLATIONS.has(code))) return new CommitConflictError({ cause: error });
    if (codes.some((code) => code === 'ValidationError' || code === 'ItemCollectionSizeLimitExceeded')) {
      return new UnappliableError(`DynamoDB refused the counter writes: ${codes.join(', ')}`, { cause: error });
    }
    return error;
  }
  if ((error as Error)?.name === 'ValidationException')
    return new UnappliableError(`DynamoDB refused the counter writes: ${(error as Error).message}`, { cause: error });
  return error;
}
