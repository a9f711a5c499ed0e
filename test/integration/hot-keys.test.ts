/**
 * Issue 19 through the local runtime: the sharded listing index and rejection partitions answer
 * exactly what one partition per day answered, in the same order, across day and shard
 * boundaries, cursor paging included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareUtf8 } from '../../lambdas/adapters/sharded-listing.js';
import { joinKey, keyPart, shardOf } from '../../lambdas/core/item-keys.js';
import { PartitionShards } from '../../resources/index.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal();
});
afterAll(async () => {
  await local?.close();
});

const HOUR = 3_600_000;
const now = Date.now();
const range = `from=${new Date(now - 4 * 24 * HOUR).toISOString()}&to=${new Date(now + HOUR).toISOString()}`;

/**
 * Ids with the separator, an escape, non-ASCII, and one long enough to be hashed in the key; the
 * order of characters past U+FFFF (UTF-8 against UTF-16) is a unit property (sharded-listing.test.ts):
 * fauxqs refuses them in message bodies, though SQS takes them.
 */
const ids = ['a', 'a#b', 'a%23b', '\u00e9', '\uffee', 'Z', '~x', '0', 'k'.repeat(230)];
const sent = Array.from({ length: 120 }, (_, i) => ({
  event: 'sharded',
  deviceId: `device-${i % 7}`,
  source: i % 3 === 0 ? 'ios' : 'web',
  eventId: `${ids[i % ids.length]}-${Math.floor(i / ids.length)}`,
  // Three days, with every fourth event on the same millisecond as the one before.
  timestamp: new Date(now - Math.floor(i / 2) * (3 * 24 * HOUR) / 60 - (i % 4 === 0 ? 0 : i)).toISOString(),
}));

/** The order one unsharded `project#day` partition gave: newest first by `timestamp#id` in UTF-8 bytes. */
const onePartitionOrder = (events: typeof sent) =>
  [...events]
    .sort((a, b) => compareUtf8(joinKey(b.timestamp, keyPart(b.eventId)), joinKey(a.timestamp, keyPart(a.eventId))))
    .map((e) => e.eventId);

async function pageAll(path: string, query: string, limit: number, field: 'events' | 'rejections') {
  const seen: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const reply: { status: number; body: Record<string, unknown> & { nextCursor: string | null } } = await request(
      `${local.url}${path}?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { key: DemoProject.secretKey },
    );
    expect(reply.status).toBe(200);
    const page = reply.body[field] as Record<string, unknown>[];
    expect(page.length).toBeLessThanOrEqual(limit);
    seen.push(...page);
    cursor = reply.body.nextCursor;
  } while (cursor);
  return seen;
}

describe('the sharded byDay listing', () => {
  it('spreads the events over several shards of each day', () => {
    const shards = new Set(sent.map((e) => shardOf(e.eventId, PartitionShards.eventList)));
    expect(shards.size).toBeGreaterThan(PartitionShards.eventList / 2);
  });

  it('lists the same events in the same order as one partition per day, at every page size', async () => {
    const reply = await request(`${local.url}/v1/batch`, { key: DemoProject.writeKey, body: { events: sent } });
    expect(reply.body).toMatchObject({ accepted: sent.length, rejected: [] });
    await eventually(() => pageAll('/v1/events', `event=sharded&${range}`, 1000, 'events'), (events) => events.length >= sent.length);

    const expected = onePartitionOrder(sent);
    for (const limit of [7, 50, 1000]) {
      expect((await pageAll('/v1/events', `event=sharded&${range}`, limit, 'events')).map((e) => e.eventId)).toEqual(expected);
    }
    // A filter applied after each shard's limit still pages in order.
    const fromIos = onePartitionOrder(sent.filter((e) => e.source === 'ios'));
    expect((await pageAll('/v1/events', `event=sharded&source=ios&${range}`, 6, 'events')).map((e) => e.eventId)).toEqual(fromIos);
  }, 180_000);
});

describe('sharded rejections', () => {
  it('lists every rejected row once, newest first, in request and row order, across pages', async () => {
    const garbage = Array.from({ length: 60 }, (_, i) => ({ deviceId: `d${i}`, note: `no event name ${i}` }));
    const first = await request(`${local.url}/v1/batch`, { key: DemoProject.writeKey, body: { events: garbage.slice(0, 30) } });
    const second = await request(`${local.url}/v1/batch`, { key: DemoProject.writeKey, body: { events: garbage.slice(30) } });
    expect(first.body.rejected).toHaveLength(30);
    expect(second.body.rejected).toHaveLength(30);

    const rows = await pageAll('/v1/rejections', range, 7, 'rejections');
    const notes = rows.map((row) => JSON.parse(String(row.row)).note as string).filter((note) => note?.startsWith('no event name'));
    // Newest request first; within a request, rows by index descending (the sort key's order).
    const expected = [...garbage.slice(30).reverse(), ...garbage.slice(0, 30).reverse()].map((row) => row.note);
    expect(notes).toEqual(expected);
  });
});
