/**
 * How many rejected rows a project keeps for audit per UTC day (`rejectionsKeptPerDay`), counted in
 * `PartitionShards.rejections` budget items per day (StateTable, `rejectionBudgetKey`), each holding
 * an exact share of the cap. A request takes slots with one `ADD` on a shard, which returns the new
 * total, so concurrent requests never take the same slot; when its shard runs out it goes on to the
 * next, so the day keeps exactly the cap. Rows past it are counted in `notKept` on one shard (one
 * write a request) and in the metric `RejectionsOverDailyCap`: a flood of garbage costs at most the
 * cap in row writes a day, plus one counter write per request once the day is full.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { BatchGetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Caches, PartitionShards, Retries } from '../../resources/index.js';
import { jitteredBackoff, type Backoff } from '../core/back-pressure.js';
import { ExpiringLru } from '../core/expiring-lru.js';
import { rejectionBudgetKey } from '../core/item-keys.js';
import { shardShare, slotsGranted } from '../core/project-caps.js';
import { dayBucket } from '../core/timestamps.js';
import { metrics } from '../observability.js';

/**
 * BatchGetItem "can contain as many as 100 items" and returns throttled keys in `UnprocessedKeys`
 * instead of failing (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).
 */
const BATCH_GET_KEYS = 100;

export class DynamoRejectionBudget {
  /** Budget shards this container saw full, trusted for `cacheMs` (a raised cap applies within it). */
  readonly #full = new ExpiringLru<string, true>(Caches.maxFullBudgetShards);

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Days a budget item is kept after its day: as long as the rows it counted. */
    private readonly retentionDays: number,
    private readonly cacheMs: number,
    private readonly shards: number = PartitionShards.rejections,
    private readonly pickShard: (shards: number) => number = (shards) => Math.floor(Math.random() * shards),
    private readonly backoff: Backoff = jitteredBackoff,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes up to `rows` slots of the project's day (of `receivedAtMs`) under `cap`; returns how many rows may be kept, counting the rest as not kept. */
  async take(projectId: string, receivedAtMs: number, rows: number, cap: number): Promise<number> {
    const day = dayBucket(receivedAtMs);
    const expiresAt = Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + (this.retentionDays + 1) * 86_400;
    const first = this.pickShard(this.shards);
    let remaining = rows;
    for (let step = 0; step < this.shards && remaining > 0; step++) {
      const shard = (first + step) % this.shards;
      const share = shardShare(cap, this.shards, shard);
      const fullKey = `${projectId}\u0000${day}\u0000${shard}`;
      if (share === 0 || this.#full.get(fullKey, this.now()).found) continue;
      const total = await this.#add(projectId, day, shard, 'offered', remaining, expiresAt);
      remaining -= slotsGranted(total, remaining, share);
      if (total >= share) this.#full.set(fullKey, true, this.cacheMs, this.now());
    }
    if (remaining > 0) {
      await this.#add(projectId, day, first, 'notKept', remaining, expiresAt);
      metrics.addMetric('RejectionsOverDailyCap', MetricUnit.Count, remaining);
    }
    return rows - remaining;
  }

  /** Rejected rows of the project not kept on each of `days`, summed. */
  async notKept(projectId: string, days: readonly string[]): Promise<number> {
    const keys = days.flatMap((day) => Array.from({ length: this.shards }, (_, shard) => rejectionBudgetKey(projectId, day, shard)));
    let sum = 0;
    for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) {
      let pending: Record<string, unknown>[] = keys.slice(i, i + BATCH_GET_KEYS);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= Retries.budgetBatchGetAttempts)
          throw new Error(`BatchGetItem left ${pending.length} rejection budget items unread after ${attempt} attempts`);
        // Unprocessed keys are asked for again after a backoff, as the API reference recommends.
        if (attempt > 0) await this.backoff(attempt - 1);
        const result = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ProjectionExpression: 'notKept' } } }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) sum += Number(item.notKept ?? 0);
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return sum;
  }

  async #add(
    projectId: string,
    day: string,
    shard: number,
    counter: 'offered' | 'notKept',
    rows: number,
    expiresAt: number,
  ): Promise<number> {
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: rejectionBudgetKey(projectId, day, shard),
        UpdateExpression: 'ADD #counter :rows SET expiresAt = :expiresAt',
        ExpressionAttributeNames: { '#counter': counter },
        ExpressionAttributeValues: { ':rows': rows, ':expiresAt': expiresAt },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(result.Attributes?.[counter] ?? rows);
  }
}
