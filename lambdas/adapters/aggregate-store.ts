/**
 * Counters in the AggregatesTable, applied exactly once. A checkpoint item per batch position holds
 * the last stream sequence number applied; it advances in the same transaction as the counter ADDs
 * of the records it covers, so a retried batch skips what was applied and applies what was not.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { CounterRow } from '../core/aggregate-query.js';
import type { CounterDelta, UniqueMarker } from '../core/aggregation.js';

const CHECKPOINT_TTL_SECONDS = 3 * 86_400;

/** Markers this container has seen, by key: a later claim by another event needs no request. */
const KNOWN_MARKERS_MAX = 200_000;

export class DynamoAggregateStore {
  readonly #knownMarkers = new Map<string, string>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async readCheckpoint(checkpointId: string): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: 'CHECKPOINT', sk: checkpointId }, ConsistentRead: true }),
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
    if (this.#knownMarkers.size >= KNOWN_MARKERS_MAX) this.#knownMarkers.clear();
    this.#knownMarkers.set(key, claimed ? marker.ownerEventId : '');
    return claimed;
  }

  async #putMarker(marker: UniqueMarker): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: marker.pk, sk: marker.sk, owner: marker.ownerEventId },
          ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': marker.ownerEventId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Adds the counters and moves the checkpoint from `previous` to `last` in one transaction. The
   * condition on the checkpoint makes a concurrent or repeated apply fail instead of counting twice.
   */
  async applyCounters(checkpointId: string, previous: string | undefined, last: string, counters: readonly CounterDelta[]) {
    const nowSeconds = Math.floor(Date.now() / 1000);
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: { pk: 'CHECKPOINT', sk: checkpointId, sequenceNumber: last, expiresAt: nowSeconds + CHECKPOINT_TTL_SECONDS },
              ConditionExpression: previous === undefined ? 'attribute_not_exists(pk)' : 'sequenceNumber = :previous',
              ...(previous === undefined ? {} : { ExpressionAttributeValues: { ':previous': previous } }),
            },
          },
          ...counters
            .filter((counter) => counter.count !== 0 || counter.sum !== 0)
            .map((counter) => ({
              Update: {
                TableName: this.tableName,
                Key: { pk: counter.pk, sk: counter.sk },
                UpdateExpression: 'ADD #count :count, #sum :sum SET #kind = :kind, #bucket = :bucket, #event = :event, #source = :source',
                ExpressionAttributeNames: {
                  '#count': 'count',
                  '#sum': 'sum',
                  '#kind': 'kind',
                  '#bucket': 'bucket',
                  '#event': 'event',
                  '#source': 'source',
                },
                ExpressionAttributeValues: {
                  ':count': counter.count,
                  ':sum': counter.sum,
                  ':kind': counter.kind,
                  ':bucket': counter.bucket,
                  ':event': counter.event ?? null,
                  ':source': counter.source ?? null,
                },
              },
            })),
        ],
      }),
    );
  }

  /** Every counter item of one partition whose sort key falls in [fromSk, toSk]. */
  async queryPartition(pk: string, fromSk: string, toSk: string): Promise<CounterRow[]> {
    const items: CounterRow[] = [];
    let after: Record<string, unknown> | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': fromSk, ':to': toSk },
          ExclusiveStartKey: after,
        }),
      );
      for (const item of result.Items ?? []) {
        items.push({
          kind: item.kind === 'unique' ? 'unique' : 'count',
          bucket: String(item.bucket),
          ...(typeof item.event === 'string' ? { event: item.event } : {}),
          ...(typeof item.source === 'string' ? { source: item.source } : {}),
          count: Number(item.count ?? 0),
          sum: Number(item.sum ?? 0),
        });
      }
      after = result.LastEvaluatedKey;
    } while (after);
    return items;
  }
}
