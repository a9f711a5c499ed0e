import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpiringLru } from '../../lambdas/core/expiring-lru.js';

describe('ExpiringLru', () => {
  it('never holds more than maxEntries, whatever is set and read', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(
          fc.record({ key: fc.string({ maxLength: 3 }), read: fc.boolean(), ttl: fc.integer({ min: -5, max: 50 }), step: fc.nat(10) }),
          { maxLength: 200 },
        ),
        (maxEntries, operations) => {
          const cache = new ExpiringLru<string, number>(maxEntries);
          let now = 0;
          for (const [i, op] of operations.entries()) {
            now += op.step;
            if (op.read) cache.get(op.key, now);
            else cache.set(op.key, i, op.ttl, now);
            expect(cache.size).toBeLessThanOrEqual(maxEntries);
          }
        },
      ),
    );
  });

  it('answers an entry until its time is up, then misses', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 1e12 }), (ttl, start) => {
        const cache = new ExpiringLru<string, string | undefined>(4);
        cache.set('k', undefined, ttl, start);
        expect(cache.get('k', start + ttl - 1)).toEqual({ found: true, value: undefined });
        expect(cache.get('k', start + ttl)).toEqual({ found: false });
      }),
    );
  });

  it('evicts the least recently used entry first', () => {
    const cache = new ExpiringLru<string, number>(2);
    cache.set('a', 1, 100, 0);
    cache.set('b', 2, 100, 0);
    cache.get('a', 1);
    cache.set('c', 3, 100, 2);
    expect(cache.get('b', 3)).toEqual({ found: false });
    expect(cache.get('a', 3)).toEqual({ found: true, value: 1 });
    expect(cache.get('c', 3)).toEqual({ found: true, value: 3 });
  });

  it('keeps nothing given no time to live', () => {
    const cache = new ExpiringLru<string, number>(2);
    cache.set('a', 1, 0, 0);
    expect(cache.size).toBe(0);
  });
});
