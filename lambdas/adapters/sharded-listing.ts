/**
 * One day of a listing whose items are spread over shard partitions (`PartitionShards`): each shard
 * is newest first by its sort key, and the day's page is their merge, newest first, exactly the
 * order one unsharded partition gave. Sort keys are unique within a project's day (they end with
 * the item's id), so a position is just the last sort key handed out: the next page takes, in every
 * shard, what sorts strictly below it. Shards are read lazily, a small page at a time, so a page of
 * `limit` items reads about `limit` items plus one small query per shard.
 */
import type { DayPage } from './day-pages.js';

/**
 * DynamoDB orders string sort keys by their UTF-8 bytes ("Working with queries": "sorted in order of
 * UTF-8 bytes"), which differs from JavaScript's UTF-16 `<` for characters past U+FFFF: the merge
 * must compare the way each shard was sorted.
 */
export const compareUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** What one shard query returns: items with their sort key, and where DynamoDB stopped (if it did). */
export type ShardPage<T> = { readonly items: readonly T[]; readonly lastKey?: Record<string, unknown> };

/**
 * Reads one shard newest first: sort keys in `[from, to]`, at most `limit` evaluated, starting after
 * `startKey` when set.
 */
export type ShardQuery<T> = (
  shard: number,
  to: string,
  limit: number,
  startKey: Record<string, unknown> | undefined,
) => Promise<ShardPage<T>>;

type ShardState<T> = { buffer: T[]; startKey?: Record<string, unknown>; done: boolean };

/**
 * Up to `limit` items of the day, newest first, below `before` (exclusive) when set and at or below
 * `to` otherwise. `lastKey` (`{ [sortKeyName]: lastSortKey }`) is set while the day may hold more.
 */
export async function mergeShardsNewestFirst<T>(options: {
  readonly shards: number;
  readonly to: string;
  readonly before?: string;
  readonly limit: number;
  readonly sortKeyName: string;
  readonly sortKeyOf: (item: T) => string;
  /** Items a single shard query evaluates; a filtered listing asks for more, since the filter applies after the limit. */
  readonly pageSize: (remaining: number) => number;
  readonly query: ShardQuery<T>;
}): Promise<DayPage<T>> {
  const { shards, before, limit, sortKeyOf, query } = options;
  // `BETWEEN` is inclusive: the item at `before` (handed out already) comes back first and is dropped.
  const to = before !== undefined && compareUtf8(before, options.to) < 0 ? before : options.to;
  const states: ShardState<T>[] = Array.from({ length: shards }, () => ({ buffer: [], done: false }));
  const refill = async (shard: number, remaining: number) => {
    const state = states[shard]!;
    while (state.buffer.length === 0 && !state.done) {
      const page = await query(shard, to, options.pageSize(remaining), state.startKey);
      state.buffer.push(...page.items.filter((item) => before === undefined || compareUtf8(sortKeyOf(item), before) < 0));
      state.startKey = page.lastKey;
      state.done = page.lastKey === undefined;
    }
  };
  const items: T[] = [];
  while (items.length < limit) {
    const remaining = limit - items.length;
    await Promise.all(states.map((_, shard) => refill(shard, Math.ceil(remaining / shards))));
    let newest: ShardState<T> | undefined;
    for (const state of states) {
      if (state.buffer.length > 0 && (newest === undefined || compareUtf8(sortKeyOf(state.buffer[0]!), sortKeyOf(newest.buffer[0]!)) > 0))
        newest = state;
    }
    if (newest === undefined) return { items };
    items.push(newest.buffer.shift()!);
  }
  const more = states.some((state) => state.buffer.length > 0 || !state.done);
  return more ? { items, lastKey: { [options.sortKeyName]: sortKeyOf(items.at(-1)!) } } : { items };
}
