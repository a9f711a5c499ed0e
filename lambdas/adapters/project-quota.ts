/**
 * Per-project quotas in DynamoDB: the limits an operator set (KeysTable, cached like keys) and the
 * sharded windows that count what a project sent (StateTable, expiring by TTL). A request costs
 * two conditional UpdateItems, one on a shard of the current second and one on a shard of the
 * current UTC day, run side by side.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Caches, ProjectCapDefaults, ProjectQuotaDefaults, Retention } from '../../resources/index.js';
import { ExpiringLru } from '../core/expiring-lru.js';
import { projectQuotaKey, quotaWindowKey } from '../core/item-keys.js';
import {
  limitHit,
  limiterShards,
  parseQuota,
  QuotaExceededError,
  retryAfterSeconds,
  shardAllowance,
  type ProjectLimits,
  type ProjectQuota,
  type ShardUsage,
} from '../core/quota.js';
import { dayBucket } from '../core/timestamps.js';

/** A project's quotas and caps as an operator set them (KeysTable), over the defaults, cached for `cacheMs`. */
export class DynamoQuotaSettings {
  readonly #cache = new ExpiringLru<string, ProjectLimits>(Caches.maxQuotaProjects);

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly keysTable: string,
    /** Defaults for projects without their own quotas. */
    readonly defaults: ProjectLimits = { ...ProjectQuotaDefaults, ...ProjectCapDefaults },
    /** How long a project's quotas are cached; a change applies within this. */
    private readonly cacheMs = 0,
    private readonly now: () => number = Date.now,
  ) {}

  async quotaOf(projectId: string): Promise<ProjectLimits> {
    const now = this.now();
    const cached = this.#cache.get(projectId, now);
    if (cached.found) return cached.value;
    const { Item } = await this.client.send(new GetCommand({ TableName: this.keysTable, Key: projectQuotaKey(projectId) }));
    const quota = parseQuota((Item?.quota ?? {}) as Record<string, unknown>, this.defaults);
    this.#cache.set(projectId, quota, this.cacheMs, now);
    return quota;
  }

  /** Stores the fields given; the others keep what the project had (its own or the defaults). */
  async setQuota(projectId: string, changes: Partial<ProjectLimits>): Promise<ProjectLimits> {
    const quota = parseQuota(changes, await this.quotaOf(projectId));
    await this.client.send(
      new PutCommand({
        TableName: this.keysTable,
        Item: { ...projectQuotaKey(projectId), quota, updatedAt: new Date(this.now()).toISOString() },
      }),
    );
    return quota;
  }
}

export class DynamoProjectQuota {
  readonly #pickShard: (shards: number) => number;
  readonly #now: () => number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly stateTable: string,
    /** Picks a shard in `[0, shards)`; injectable so tests can force collisions. */
    pickShard?: (shards: number) => number,
    now: () => number = Date.now,
  ) {
    this.#pickShard = pickShard ?? ((shards) => Math.floor(Math.random() * shards));
    this.#now = now;
  }

  /** Counts the request against the project's `quota` (its settings, read by the caller); throws `QuotaExceededError` naming the limit it is over. */
  async admit(projectId: string, quota: ProjectQuota, rows: number, bytes: number): Promise<void> {
    const nowMs = this.#now();
    const shards = limiterShards(quota);
    const allowance = shardAllowance(quota, shards);
    const second = Math.floor(nowMs / 1000);
    const refused = await Promise.all([
      this.#take(projectId, `S${second}`, shards, allowance, { rows, bytes }, second + 60),
      this.#take(projectId, `D${dayBucket(nowMs)}`, shards, allowance, { rows, bytes }, second + Retention.quotaDayWindowSeconds),
    ]);
    const hit =
      refused[0] !== undefined
        ? limitHit('second', refused[0], { rows, bytes }, allowance)
        : refused[1] !== undefined
          ? 'rowsPerDay'
          : undefined;
    if (hit !== undefined) throw new QuotaExceededError(hit, quota[hit], retryAfterSeconds(hit, nowMs));
  }

  /** Adds the request to one shard of the window, or a second when the first is full; returns what the last one held when both refused. */
  async #take(
    projectId: string,
    window: string,
    shards: number,
    allowance: ProjectQuota,
    asked: { rows: number; bytes: number },
    expiresAt: number,
  ) {
    const first = this.#pickShard(shards);
    const tries = shards > 1 ? [first, (first + 1 + this.#pickShard(shards - 1)) % shards] : [first];
    let usage: ShardUsage | undefined;
    for (const shard of tries) {
      usage = await this.#add(projectId, window, shard, allowance, asked, expiresAt);
      if (usage === undefined) return undefined;
    }
    return usage;
  }

  async #add(
    projectId: string,
    window: string,
    shard: number,
    allowance: ProjectQuota,
    asked: { rows: number; bytes: number },
    expiresAt: number,
  ) {
    const perSecond = window.startsWith('S');
    // An empty shard admits any one request (a batch may be larger than a shard's share); a used one only what fits.
    const fits = perSecond ? 'requests <= :maxRequests AND #rows <= :maxRows AND #bytes <= :maxBytes' : '#rows <= :maxRows';
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.stateTable,
          Key: quotaWindowKey(projectId, window, shard),
          UpdateExpression: 'ADD requests :one, #rows :rows, #bytes :bytes SET expiresAt = :expiresAt',
          ConditionExpression: `attribute_not_exists(requests) OR (${fits})`,
          ExpressionAttributeNames: { '#rows': 'rows', '#bytes': 'bytes' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':rows': asked.rows,
            ':bytes': asked.bytes,
            ':expiresAt': expiresAt,
            ':maxRows': (perSecond ? allowance.rowsPerSecond : allowance.rowsPerDay) - asked.rows,
            ...(perSecond ? { ':maxRequests': allowance.requestsPerSecond - 1, ':maxBytes': allowance.bytesPerSecond - asked.bytes } : {}),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = error.Item ?? {};
      const n = (attribute: string) => Number(old[attribute]?.N ?? 0);
      return { requests: n('requests'), rows: n('rows'), bytes: n('bytes') };
    }
  }
}
