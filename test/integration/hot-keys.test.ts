/**
 * Issue 19 through the local runtime: the sharded listing index and rejection partitions answer
 * exactly what one partition per day answered, in the same order, across day and shard
 * boundaries, cursor paging included; per-project quotas (set with the CLI) refuse the project
 * over them with 429 naming the limit while another project sends at the same time unhindered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareUtf8 } from '../../lambdas/adapters/sharded-listing.js';
import { joinKey, keyPart, shardOf } from '../../lambdas/core/item-keys.js';
import { PartitionShards } from '../../resources/index.js';
import { createDocumentClient } from '../../lambdas/adapters/clients.js';
import { DynamoKeyStore } from '../../lambdas/adapters/key-store.js';
import { DemoProject, eventually, request, startLocal, tidemarkCli, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
const Flood = { projectId: 'flood', writeKey: 'flood-write-key' };
const Calm = { projectId: 'calm', writeKey: 'calm-write-key' };

const cli = (...args: string[]) => tidemarkCli(local, ...args);

beforeAll(async () => {
  local = await startLocal();
  const keys = new DynamoKeyStore(createDocumentClient(local.config), local.config.keysTable!, 0);
  await keys.create(Flood.writeKey, Flood.projectId, 'write');
  await keys.create(Calm.writeKey, Calm.projectId, 'write');
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
  timestamp: new Date(now - (Math.floor(i / 2) * (3 * 24 * HOUR)) / 60 - (i % 4 === 0 ? 0 : i)).toISOString(),
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
    await eventually(
      () => pageAll('/v1/events', `event=sharded&${range}`, 1000, 'events'),
      (events) => events.length >= sent.length,
    );

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

describe('per-project quotas', () => {
  const batch = (key: string, rows: number, tag: string, pad = 0) =>
    request(`${local.url}/v1/batch`, {
      key,
      body: {
        events: Array.from({ length: rows }, (_, i) => ({
          event: 'quota',
          deviceId: `${tag}-${i % 5}`,
          properties: { pad: 'x'.repeat(pad) },
        })),
      },
    });

  it('are read and changed with the CLI, the others keeping their value', async () => {
    const before = await cli('limits', 'get', '--project', Flood.projectId);
    expect(before.code).toBe(0);
    expect(before.out.join('\n')).toMatch(/rowsPerSecond\s+20000/);
    const set = await cli('limits', 'set', '--project', Flood.projectId, '--rows-per-second', '120', '--bytes-per-second', '60000');
    expect(set.code).toBe(0);
    const after = (await cli('limits', 'get', '--project', Flood.projectId)).out.join('\n');
    expect(after).toMatch(/rowsPerSecond\s+120\b/);
    expect(after).toMatch(/bytesPerSecond\s+60000\b/);
    expect(after).toMatch(/rowsPerDay\s+100000000\b/);
    expect((await cli('limits', 'set', '--project', Flood.projectId, '--rows-per-day=0')).code).toBe(2);
  });

  it('refuse the project over its row quota with 429 naming the limit, while another project sends unhindered', async () => {
    const [flood, calm] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, (_, i) => batch(Flood.writeKey, 50, `flood-rows-${i}`))),
      Promise.all(Array.from({ length: 8 }, (_, i) => batch(Calm.writeKey, 50, `calm-rows-${i}`))),
    ]);
    const refused = flood.filter((reply) => reply.status === 429);
    // 8 × 50 rows against 120 a second: at most the shard's share plus one batch each second gets through.
    expect(refused.length).toBeGreaterThan(0);
    for (const reply of refused) {
      expect(reply.body).toMatchObject({ error: 'quota_exceeded', limit: 'rowsPerSecond', max: 120 });
      expect(reply.headers.get('retry-after')).toBe('1');
    }
    expect(calm.map((reply) => reply.status)).toEqual(Array(8).fill(202));
  });

  it('refuse the project over its byte quota, while another project sends unhindered', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const [flood, calm] = await Promise.all([
      Promise.all(Array.from({ length: 6 }, (_, i) => batch(Flood.writeKey, 2, `flood-bytes-${i}`, 12_000))),
      Promise.all(Array.from({ length: 6 }, (_, i) => batch(Calm.writeKey, 2, `calm-bytes-${i}`, 12_000))),
    ]);
    const refused = flood.filter((reply) => reply.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const reply of refused) expect(reply.body).toMatchObject({ error: 'quota_exceeded', limit: 'bytesPerSecond', max: 60000 });
    expect(calm.map((reply) => reply.status)).toEqual(Array(6).fill(202));
  });
});
