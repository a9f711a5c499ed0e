/**
 * Per-project quotas, enforced without a hot item: each limit's window (a second, a UTC day) is
 * counted in several shard items, a request adds itself to one of them, and each shard admits its
 * share of the limit. Sharding keeps every limiter item far below DynamoDB's 1,000 writes/s per
 * key; the price is an approximate limit (a request refused by a full shard while another has
 * room), which `admit` narrows by trying a second shard. Pure: the adapter does the writes.
 */
import { TidemarkError } from './errors.js';
import { CapNames, type ProjectCaps } from './project-caps.js';

export type ProjectQuota = {
  readonly requestsPerSecond: number;
  readonly rowsPerSecond: number;
  readonly bytesPerSecond: number;
  readonly rowsPerDay: number;
};

export const QuotaNames = [
  'requestsPerSecond',
  'rowsPerSecond',
  'bytesPerSecond',
  'rowsPerDay',
] as const satisfies readonly (keyof ProjectQuota)[];
export type QuotaName = (typeof QuotaNames)[number];

/** Everything an operator sets per project with `tidemark limits set`: the quotas and the caps (project-caps.ts). */
export type ProjectLimits = ProjectQuota & ProjectCaps;
export const LimitNames = [...QuotaNames, ...CapNames] as const;
export type LimitName = (typeof LimitNames)[number];

/** Writes per second one limiter item may take: half of DynamoDB's per-key 1,000, for headroom. */
export const MAX_WRITES_PER_LIMITER_ITEM = 500;
export const MAX_LIMITER_SHARDS = 64;

/**
 * Shards per window: enough that a project at its request limit writes each item at most
 * `MAX_WRITES_PER_LIMITER_ITEM` times a second (one write per request per window), and no more,
 * since every shard is an allowance that rounds up.
 */
export const limiterShards = (quota: ProjectQuota): number =>
  Math.min(MAX_LIMITER_SHARDS, Math.max(1, Math.ceil(quota.requestsPerSecond / MAX_WRITES_PER_LIMITER_ITEM)));

/** The share of each limit one shard admits (at least 1, so a tiny limit still admits). */
export const shardAllowance = (quota: ProjectQuota, shards: number): ProjectQuota => ({
  requestsPerSecond: Math.max(1, Math.ceil(quota.requestsPerSecond / shards)),
  rowsPerSecond: Math.max(1, Math.ceil(quota.rowsPerSecond / shards)),
  bytesPerSecond: Math.max(1, Math.ceil(quota.bytesPerSecond / shards)),
  rowsPerDay: Math.max(1, Math.ceil(quota.rowsPerDay / shards)),
});

/** What a shard item held when it refused, and what the request asked for. */
export type ShardUsage = { readonly requests?: number; readonly rows?: number; readonly bytes?: number };

/**
 * The limit a refused request hit, from what the shard held. A request larger than a whole shard's
 * allowance is admitted into an empty shard (else a big batch could never pass), so only a shard
 * that already holds something refuses.
 */
export function limitHit(
  window: 'second' | 'day',
  used: ShardUsage,
  asked: { rows: number; bytes: number },
  allowance: ProjectQuota,
): QuotaName {
  if (window === 'day') return 'rowsPerDay';
  if ((used.requests ?? 0) + 1 > allowance.requestsPerSecond) return 'requestsPerSecond';
  if ((used.rows ?? 0) + asked.rows > allowance.rowsPerSecond) return 'rowsPerSecond';
  return 'bytesPerSecond';
}

/** Seconds until the window that refused starts over: the next second, or the next UTC midnight. */
export const retryAfterSeconds = (name: QuotaName, nowMs: number): number =>
  name === 'rowsPerDay' ? Math.max(1, Math.ceil((86_400_000 - (nowMs % 86_400_000)) / 1000)) : 1;

/** 429: the project is over one of its quotas; `limit` names it and `Retry-After` says when the window starts over. */
export class QuotaExceededError extends TidemarkError {
  constructor(
    readonly limit: QuotaName,
    readonly max: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `Project over its ${limit} quota (${max}); retry after ${retryAfterSeconds} s. An operator can raise it with \`tidemark limits set\`.`,
      429,
      limit === 'requestsPerSecond' ? 'rate_limited' : 'quota_exceeded',
    );
  }
}

/** Limits as stored or given on the command line, over `base`: every field of `base` a positive integer, else the reason. */
export function parseQuota<T extends Partial<Record<LimitName, number>>>(input: Partial<Record<LimitName, unknown>>, base: T): T {
  const quota: Partial<Record<LimitName, number>> = { ...base };
  for (const name of LimitNames) {
    const raw = input[name];
    if (raw === undefined || !(name in base)) continue;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`${name} must be a positive integer, got ${String(raw).slice(0, 40)}`);
    quota[name] = value;
  }
  return quota as T;
}
