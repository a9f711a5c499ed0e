/**
 * Rejected rows kept for audit in the StateTable, spread over the day's shards and listed newest
 * first; they expire after the retention the caller gives.
 */
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { PartitionShards, Retries } from '../../resources/index.js';
import { jitteredBackoff, type Backoff } from '../core/back-pressure.js';
import { sortKeyBounds, type DayCursor, type DayRange } from '../core/day-range.js';
import { RejectionsNotKeptError } from '../core/errors.js';
import { rejectionItemKey, rejectionPartition } from '../core/item-keys.js';
import { dayBucket, epochSeconds } from '../core/timestamps.js';
import { RejectionReason, type RejectedRow, type StoredEvent } from '../core/types.js';
import { metrics } from '../observability.js';
import type { RejectionListing } from '../query/ports.js';
import { readDaysNewestFirst } from './day-pages.js';
import { mergeShardsNewestFirst } from './sharded-listing.js';

/**
 * The rejection kept when an event id was already stored with other content: the whole copy that
 * was not stored (as the processor got it), so nothing is silently lost and an operator can
 * replay it under a new id.
 */
export function conflictRejection(event: StoredEvent): RejectedRow {
  return {
    eventId: event.eventId,
    reason: RejectionReason.conflict,
    error: `event id '${event.eventId.slice(0, 128)}' was already stored with different content; this copy was not stored`,
    retryable: false,
    receivedAt: event.receivedAt,
    requestId: 'processor',
    row: JSON.stringify(event),
  };
}

/**
 * Writes `items` until DynamoDB has processed them all or the attempts run out; returns how many
 * were left unprocessed. BatchWriteItem hands back throttled items instead of failing, and AWS asks
 * for exponential backoff before sending them again ("If DynamoDB returns any unprocessed items, you
 * should retry the batch operation on those items. However, we strongly recommend that you use an
 * exponential backoff algorithm": https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html).
 */
export async function writeUntilProcessed<T>(items: readonly T[], write: (items: T[]) => Promise<T[]>, backoff: Backoff): Promise<number> {
  let pending = [...items];
  for (let attempt = 0; pending.length > 0 && attempt < Retries.rejectionBatchWriteAttempts; attempt++) {
    if (attempt > 0) await backoff(attempt - 1);
    pending = await write(pending);
  }
  return pending.length;
}

export class DynamoRejectionStore implements RejectionListing {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly backoff: Backoff = jitteredBackoff,
  ) {}

  /**
   * Keeps rejected rows, 25 to a BatchWrite (its limit), the batches in parallel: rows spread over the
   * day's shards by key. Unprocessed items (throttling) are retried with jittered backoff; when
   * retries run out the rows left are counted in a metric and the call fails: never a silent drop.
   */
  async putRejections(projectId: string, rows: readonly RejectedRow[], retentionDays: number): Promise<void> {
    const items = rows.map((row) => {
      const receivedMs = Date.parse(row.receivedAt);
      const rowKey = 'index' in row ? String(row.index).padStart(5, '0') : row.eventId;
      return {
        PutRequest: {
          Item: {
            ...rejectionItemKey(projectId, dayBucket(receivedMs), row.receivedAt, row.requestId, rowKey, PartitionShards.rejections),
            ...row,
            expiresAt: epochSeconds(receivedMs) + retentionDays * 86_400,
          },
        },
      };
    });
    const batches: (typeof items)[] = [];
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
    const left = await Promise.all(
      batches.map((batch) =>
        writeUntilProcessed(
          batch,
          async (request) => {
            const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: request } }));
            return (result.UnprocessedItems?.[this.tableName] ?? []) as typeof request;
          },
          this.backoff,
        ),
      ),
    );
    const lost = left.reduce((sum, n) => sum + n, 0);
    if (lost > 0) {
      metrics.addMetric('RejectionsNotKept', MetricUnit.Count, lost);
      throw new RejectionsNotKeptError(lost);
    }
  }

  async listRejections(projectId: string, range: DayRange): Promise<{ rows: RejectedRow[]; nextCursor?: DayCursor }> {
    const bounds = sortKeyBounds(range);
    const { items, nextCursor } = await readDaysNewestFirst(range, async (day, remaining, after) => {
      const before = typeof after?.sk === 'string' ? after.sk : undefined;
      const page = await mergeShardsNewestFirst<Record<string, unknown>>({
        shards: PartitionShards.rejections,
        to: bounds.to,
        ...(before === undefined ? {} : { before }),
        limit: remaining,
        sortKeyName: 'sk',
        sortKeyOf: (item) => String(item.sk),
        pageSize: (wanted) => wanted + 1,
        query: async (shard, to, pageSize, startKey) => {
          const result = await this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
              ExpressionAttributeValues: { ':pk': rejectionPartition(projectId, day, shard), ':from': bounds.from, ':to': to },
              ScanIndexForward: false,
              Limit: pageSize,
              ExclusiveStartKey: startKey,
            }),
          );
          return { items: result.Items ?? [], ...(result.LastEvaluatedKey ? { lastKey: result.LastEvaluatedKey } : {}) };
        },
      });
      const rows = page.items.map(({ pk: _pk, sk: _sk, expiresAt: _expiresAt, ...row }) => row as RejectedRow);
      return { items: rows, ...(page.lastKey ? { lastKey: page.lastKey } : {}) };
    });
    return nextCursor ? { rows: items, nextCursor } : { rows: items };
  }
}
