import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareUtf8, mergeShardsNewestFirst, type ShardQuery } from '../../lambdas/adapters/sharded-listing.js';

const newestFirst = (a: string, b: string) => compareUtf8(b, a);

/** Shards held in memory and read the way DynamoDB reads a partition: newest first, `Limit` items, a start key. */
function inMemoryShards(keys: readonly string[], shards: number, from: string) {
  const byShard = Array.from({ length: shards }, (_, shard) => keys.filter((_, i) => i % shards === shard).sort(newestFirst));
  let queries = 0;
  const query: ShardQuery<{ sk: string }> = async (shard, to, limit, startKey) => {
    queries++;
    const inRange = byShard[shard]!.filter((sk) => compareUtf8(sk, from) >= 0 && compareUtf8(sk, to) <= 0);
    const start = startKey === undefined ? 0 : inRange.indexOf(String(startKey.sk)) + 1;
    const page = inRange.slice(start, start + limit);
    const more = start + limit < inRange.length;
    return { items: page.map((sk) => ({ sk })), ...(more ? { lastKey: { sk: page.at(-1) } } : {}) };
  };
  return { query, queries: () => queries };
}

/** Every page of the day, following `lastKey` the way the listing does with its cursor. */
async function allPages(keys: readonly string[], shards: number, limit: number) {
  const { query } = inMemoryShards(keys, shards, '');
  const pages: string[][] = [];
  let before: string | undefined;
  for (;;) {
    const page = await mergeShardsNewestFirst({
      shards,
      // Above every generated key (at most 12 code points).
      to: '\u{10ffff}'.repeat(13),
      ...(before === undefined ? {} : { before }),
      limit,
      sortKeyName: 'sk',
      sortKeyOf: (item: { sk: string }) => item.sk,
      pageSize: (remaining) => remaining + 1,
      query,
    });
    pages.push(page.items.map((item) => item.sk));
    if (!page.lastKey) return pages;
    before = String(page.lastKey.sk);
  }
}

describe('mergeShardsNewestFirst', () => {
  it('pages through sharded items in exactly the order one partition would give, each once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 12 }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 25 }),
        async (keys, shards, limit) => {
          const pages = await allPages(keys, shards, limit);
          expect(pages.flat()).toEqual([...keys].sort(newestFirst));
          for (const page of pages.slice(0, -1)) expect(page).toHaveLength(limit);
        },
      ),
    );
  });

  it('reads about a page, not every shard whole', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `2026-11-24T10:00:00.${String(i).padStart(4, '0')}`);
    const shards = inMemoryShards(keys, 8, '');
    const page = await mergeShardsNewestFirst({
      shards: 8,
      to: '\uffff',
      limit: 100,
      sortKeyName: 'sk',
      sortKeyOf: (item: { sk: string }) => item.sk,
      pageSize: (remaining) => remaining + 1,
      query: shards.query,
    });
    expect(page.items).toHaveLength(100);
    expect(page.lastKey).toEqual({ sk: keys[900] });
    expect(shards.queries()).toBeLessThan(40);
  });
});
