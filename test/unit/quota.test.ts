import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  limiterShards,
  limitHit,
  MAX_WRITES_PER_LIMITER_ITEM,
  parseQuota,
  retryAfterSeconds,
  shardAllowance,
  type ProjectQuota,
} from '../../lambdas/core/quota.js';
import { ProjectQuotaDefaults } from '../../resources/index.js';

const quotas = fc.record({
  requestsPerSecond: fc.integer({ min: 1, max: 1_000_000 }),
  rowsPerSecond: fc.integer({ min: 1, max: 10_000_000 }),
  bytesPerSecond: fc.integer({ min: 1, max: 2 ** 40 }),
  rowsPerDay: fc.integer({ min: 1, max: 2 ** 45 }),
}) satisfies fc.Arbitrary<ProjectQuota>;

describe('sharded quota windows', () => {
  it('keep every limiter item under half a key’s write rate while admitting at least the whole limit', () => {
    fc.assert(
      fc.property(quotas, (quota) => {
        const shards = limiterShards(quota);
        const allowance = shardAllowance(quota, shards);
        if (shards < 64) expect(quota.requestsPerSecond / shards).toBeLessThanOrEqual(MAX_WRITES_PER_LIMITER_ITEM);
        for (const name of ['requestsPerSecond', 'rowsPerSecond', 'bytesPerSecond', 'rowsPerDay'] as const) {
          expect(allowance[name] * shards).toBeGreaterThanOrEqual(quota[name]);
          expect(allowance[name]).toBeGreaterThanOrEqual(1);
        }
      }),
    );
  });

  it('name the limit a full shard refused on', () => {
    const allowance = shardAllowance({ requestsPerSecond: 10, rowsPerSecond: 100, bytesPerSecond: 1000, rowsPerDay: 5000 }, 1);
    expect(limitHit('second', { requests: 10, rows: 0, bytes: 0 }, { rows: 1, bytes: 1 }, allowance)).toBe('requestsPerSecond');
    expect(limitHit('second', { requests: 1, rows: 99, bytes: 0 }, { rows: 2, bytes: 1 }, allowance)).toBe('rowsPerSecond');
    expect(limitHit('second', { requests: 1, rows: 1, bytes: 999 }, { rows: 1, bytes: 2 }, allowance)).toBe('bytesPerSecond');
    expect(limitHit('day', { rows: 5000 }, { rows: 1, bytes: 1 }, allowance)).toBe('rowsPerDay');
  });

  it('ask a client to come back at the next second, or at the next UTC midnight for the daily quota', () => {
    const nearMidnight = Date.parse('2026-11-24T23:59:58.500Z');
    expect(retryAfterSeconds('rowsPerSecond', nearMidnight)).toBe(1);
    expect(retryAfterSeconds('rowsPerDay', nearMidnight)).toBe(2);
    expect(retryAfterSeconds('rowsPerDay', Date.parse('2026-11-24T00:00:00.000Z'))).toBe(86_400);
  });

  it('take only positive integers from an operator, keeping the other fields', () => {
    expect(parseQuota({ rowsPerSecond: '120' }, ProjectQuotaDefaults)).toEqual({ ...ProjectQuotaDefaults, rowsPerSecond: 120 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constant('0'),
          fc.constant('-1'),
          fc.constant('1.5'),
          fc.constant('1e400'),
          fc.string({ maxLength: 8 }).filter((s) => !/^\s*\d+\s*$/.test(s) || Number(s) < 1),
        ),
        (raw) => {
          expect(() => parseQuota({ rowsPerDay: raw }, ProjectQuotaDefaults)).toThrow(RangeError);
        },
      ),
    );
  });
});
