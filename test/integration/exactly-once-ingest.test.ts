/**
 * Issue 14, the ingest, identity, key-layout and query side, through HTTP against the local
 * runtime: every class of row the review found either rejected per row with a reason or stored
 * once as sent, and no project's key parts reaching another's.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/clients.js';
import { DynamoEventStore } from '../../lambdas/adapters/event-store.js';
import { DynamoKeyStore } from '../../lambdas/adapters/key-store.js';
import { DynamoStoredCopies } from '../../lambdas/adapters/stored-copies.js';
import { fingerprintsAgree } from '../../lambdas/core/stored-event-item.js';
import { apiKeyItemKey, eventItemKey, eventListKey } from '../../lambdas/core/item-keys.js';
import { dayBucket } from '../../lambdas/core/timestamps.js';
import { PartitionShards } from '../../resources/index.js';
import { hashKey } from '../../lambdas/core/keys.js';
import type { StoredEvent } from '../../lambdas/core/types.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
/** A project whose id holds the separator, as main let `keys create` make: the victim of demo's key parts. */
const Victim = { projectId: 'demo#b', writeKey: 'victim-write-key', secretKey: 'victim-secret-key' };
/** A project with a valid id, for cursors carried across projects. */
const Other = { projectId: 'other', secretKey: 'other-secret-key' };

beforeAll(async () => {
  local = await startLocal();
  const documents = createDocumentClient(local.config);
  // Written below the key store, which now refuses such an id: what a stack created before the fix may hold.
  for (const [key, kind] of [
    [Victim.writeKey, 'write'],
    [Victim.secretKey, 'secret'],
  ] as const) {
    const hash = hashKey(key);
    await documents.send(
      new PutCommand({
        TableName: local.config.keysTable!,
        Item: {
          ...apiKeyItemKey(hash),
          keyHash: hash,
          projectId: Victim.projectId,
          kind,
          keyPrefix: key.slice(0, 8),
          createdAt: new Date().toISOString(),
        },
      }),
    );
  }
  await new DynamoKeyStore(documents, local.config.keysTable!, 0).create(Other.secretKey, Other.projectId, 'secret');
});
afterAll(async () => {
  await local?.close();
});

const send = (body: unknown, key: string = DemoProject.writeKey, path = '/v1/batch', headers: Record<string, string> = {}) =>
  request(`${local.url}${path}`, { key, body, headers });

const around = (ms: number) => `from=${new Date(ms - 3_600_000).toISOString()}&to=${new Date(ms + 3_600_000).toISOString()}`;

type Listed = StoredEvent & { eventId: string };
const list = async (query: string, key: string = DemoProject.secretKey): Promise<Listed[]> => {
  const reply = await request(`${local.url}/v1/events?${query}&limit=1000`, { key });
  expect(reply.status).toBe(200);
  return reply.body.events;
};
/** Waits until the listing holds `n` events, then once more a moment later, so a late second copy would show. */
const settled = async (query: string, n: number, key?: string) => {
  await eventually(
    () => list(query, key),
    (events) => events.length >= n,
  );
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return list(query, key);
};

describe('numeric contract (item 1)', () => {
  it('rejects a value beyond 1e12 per row naming the bound, and rounds a tiny value to 6 places', async () => {
    const now = Date.now();
    const timestamp = new Date(now).toISOString();
    const reply = await send({
      events: [
        { event: 'num_big', deviceId: 'num', value: 1e16, timestamp },
        { event: 'num_tiny', deviceId: 'num', value: 1e-40, timestamp },
        { event: 'num_fine', deviceId: 'num', value: 12.3456789, timestamp },
      ],
    });
    expect(reply.status).toBe(202);
    expect(reply.body.accepted).toBe(2);
    expect(reply.body.rejected).toEqual([{ index: 0, reason: 'validation', error: expect.stringContaining('1e+12'), retryable: false }]);
    const [tiny] = await settled(`event=num_tiny&${around(now)}`, 1);
    expect(tiny!.value).toBe(0);
    const [fine] = await settled(`event=num_fine&${around(now)}`, 1);
    expect(fine!.value).toBe(12.345679);
  });
});

describe('key parts (items 2 and 3)', () => {
  it('refuses to create a project whose id could reach into another project’s keys', async () => {
    const keys = new DynamoKeyStore(createDocumentClient(local.config), local.config.keysTable!, 0);
    await expect(keys.create('new-key', 'demo#c', 'write')).rejects.toMatchObject({ code: 'invalid_project_id' });
  });

  it('does not let demo’s write key suppress demo#b’s events or overwrite its device through `#`', async () => {
    const now = Date.now();
    const timestamp = new Date(now).toISOString();
    // demo plants what, with `${projectId}#${userInput}` keys, are demo#b's event E99 and device x.
    expect((await send({ events: [{ event: 'plant', eventId: 'b#E99', deviceId: 'b#x', timestamp }] })).body.accepted).toBe(1);
    await settled(`event=plant&${around(now)}`, 1);
    expect(
      (
        await send(
          { events: [{ event: 'victim_event', eventId: 'E99', deviceId: 'x', timestamp: new Date(now - 1000).toISOString() }] },
          Victim.writeKey,
        )
      ).body.accepted,
    ).toBe(1);
    const stored = await settled(`event=victim_event&${around(now)}`, 1, Victim.secretKey);
    expect(stored.map((e) => e.eventId)).toEqual(['E99']);
    // demo#b's device x is its own: last seen at its own event, not at demo's later one.
    const device = await eventually(
      () => request(`${local.url}/v1/devices/x`, { key: Victim.secretKey }),
      (r) => r.status === 200,
    );
    expect(device.body).toMatchObject({ deviceId: 'x', lastSeen: new Date(now - 1000).toISOString() });
  });

  it('does not let demo’s secret key read demo#b’s device through `%23`', async () => {
    const now = Date.now();
    await send({ events: [{ event: 'victim_only', deviceId: 'y', timestamp: new Date(now).toISOString() }] }, Victim.writeKey);
    await eventually(
      () => request(`${local.url}/v1/devices/y`, { key: Victim.secretKey }),
      (r) => r.status === 200,
    );
    expect((await request(`${local.url}/v1/devices/b%23y`, { key: DemoProject.secretKey })).status).toBe(404);
    expect((await request(`${local.url}/v1/devices/%E0%A4%A`, { key: DemoProject.secretKey })).status).toBe(400);
  });

  it('stores and lists rows whose key fields are at the byte limit in UTF-8, separators and escapes included', async () => {
    const now = Date.now();
    // 341 × 3 bytes = 1,023 bytes of UTF-8; 1,024 bytes once the `#` is added.
    const deviceId = `${'€'.repeat(341)}#`;
    const eventId = `${'%'.repeat(128)}#~${'ü'.repeat(63)}`;
    const reply = await send({
      events: [
        { event: 'long_keys', deviceId, eventId, source: 's\u0001'.repeat(32), timestamp: new Date(now).toISOString() },
        { event: 'long_keys', deviceId: `${deviceId}x`, timestamp: new Date(now).toISOString() },
      ],
    });
    expect(reply.body.accepted).toBe(1);
    expect(reply.body.rejected).toEqual([
      { index: 1, reason: 'validation', error: expect.stringContaining('maxKeyFieldBytes'), retryable: false },
    ]);
    const [stored] = await settled(`event=long_keys&deviceId=${encodeURIComponent(deviceId)}&${around(now)}`, 1);
    expect(stored).toMatchObject({ eventId, deviceId, source: 's\u0001'.repeat(32) });
    expect((await request(`${local.url}/v1/devices/${encodeURIComponent(deviceId)}`, { key: DemoProject.secretKey })).body.deviceId).toBe(
      deviceId,
    );
  });
});

describe('signed cursors (item 3)', () => {
  it('pages through with the cursors it issued', async () => {
    const now = Date.now();
    await send({
      events: Array.from({ length: 5 }, (_, i) => ({
        event: 'paged',
        deviceId: 'pager',
        eventId: `paged-${i}`,
        timestamp: new Date(now - i * 1000).toISOString(),
      })),
    });
    await settled(`event=paged&${around(now)}`, 5);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const reply: { body: { events: Listed[]; nextCursor: string | null } } = await request(
        `${local.url}/v1/events?event=paged&${around(now)}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { key: DemoProject.secretKey },
      );
      seen.push(...reply.body.events.map((e) => e.eventId));
      cursor = reply.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['paged-0', 'paged-1', 'paged-2', 'paged-3', 'paged-4']);
  });

  it('answers 400 invalid_cursor, never a 500, to hand-made, foreign, re-filtered or out-of-range cursors', async () => {
    const now = Date.now();
    const first = await request(`${local.url}/v1/events?event=paged&${around(now)}&limit=1`, { key: DemoProject.secretKey });
    const cursor = encodeURIComponent(first.body.nextCursor);
    const day = new Date(now).toISOString().slice(0, 10);
    const handMade = (position: unknown) => Buffer.from(JSON.stringify(position)).toString('base64url');
    const attempts: [string, string][] = [
      [`/v1/events?${around(now)}&cursor=${handMade({ day: `b#${day}` })}`, DemoProject.secretKey],
      [`/v1/events?${around(now)}&cursor=${handMade({ day: '2099-01-01' })}`, DemoProject.secretKey],
      [
        `/v1/events?${around(now)}&cursor=${handMade({ day, after: { pk: 'demo#b#E99', listPk: `demo#b#${day}`, listSk: 'x' } })}`,
        DemoProject.secretKey,
      ],
      [`/v1/events?event=paged&${around(now)}&cursor=${cursor}`, Other.secretKey],
      [`/v1/events?event=plant&${around(now)}&cursor=${cursor}`, DemoProject.secretKey],
      [`/v1/rejections?${around(now)}&cursor=${cursor}`, DemoProject.secretKey],
      [
        `/v1/events?event=paged&from=${new Date(now - 40 * 86_400_000).toISOString()}&to=${new Date(now - 30 * 86_400_000).toISOString()}&cursor=${cursor}`,
        DemoProject.secretKey,
      ],
      [`/v1/rejections?${around(now)}&cursor=garbage`, DemoProject.secretKey],
    ];
    for (const [path, key] of attempts) {
      const reply = await request(`${local.url}${path}`, { key });
      expect({ path, status: reply.status, error: reply.body.error }).toEqual({ path, status: 400, error: 'invalid_cursor' });
    }
  });
});

describe('identity (item 4)', () => {
  it('stores two purchases of one product (`id`) as two events', async () => {
    const now = Date.now();
    const timestamp = new Date(now).toISOString();
    const reply = await send({
      events: [
        { event: 'sku_purchase', deviceId: 'shopper', id: 'sku-1', value: 10, timestamp },
        { event: 'sku_purchase', deviceId: 'shopper', id: 'sku-1', uuid: 'same', value: 12, timestamp },
      ],
    });
    expect(reply.body.accepted).toBe(2);
    const stored = await settled(`event=sku_purchase&${around(now)}`, 2);
    expect(stored.map((e) => e.value).sort()).toEqual([10, 12]);
    expect(stored.every((e) => e.properties.id === 'sku-1')).toBe(true);
  });

  it('keeps a row whose id was stored with other content as a `conflict` rejection, whole, and stores nothing over the first', async () => {
    const now = Date.now();
    const timestamp = new Date(now).toISOString();
    const eventId = `order-${now}`;
    expect((await send({ events: [{ event: 'order_placed', deviceId: 'till', eventId, value: 10, timestamp }] })).body.accepted).toBe(1);
    await settled(`event=order_placed&${around(now)}`, 1);
    // The same id again, with another amount: accepted at ingest (the id alone says nothing there), a conflict when stored.
    expect((await send({ events: [{ event: 'order_placed', deviceId: 'till', eventId, value: 99, timestamp }] })).body.accepted).toBe(1);
    const rejections = await eventually(
      async () =>
        (await request(`${local.url}/v1/rejections?${around(now)}`, { key: DemoProject.secretKey })).body.rejections as {
          reason: string;
          eventId?: string;
          row: string;
        }[],
      (rows) => rows.some((row) => row.reason === 'conflict' && row.eventId === eventId),
    );
    const conflict = rejections.find((row) => row.reason === 'conflict' && row.eventId === eventId)!;
    expect(JSON.parse(conflict.row)).toMatchObject({ eventId, value: 99 });
    const stored = await list(`event=order_placed&${around(now)}`);
    expect(stored.map((e) => e.value)).toEqual([10]);
  });

  it('tells a duplicate from a conflict when an id is taken (the event store the processor writes through)', async () => {
    const store = new DynamoEventStore(createDocumentClient(local.config), local.config.eventsTable!, 30);
    const now = new Date().toISOString();
    const event: StoredEvent = {
      projectId: 'demo',
      eventId: `conflict-${Date.now()}`,
      event: 'conflicted',
      deviceId: 'd',
      sessionId: 's',
      timestamp: now,
      originalTimestamp: now,
      receivedAt: now,
      properties: {},
      fingerprint: 'a'.repeat(40),
    };
    expect(await store.putIfAbsent(event)).toBe('stored');
    expect(await store.putIfAbsent({ ...event, receivedAt: new Date(Date.now() + 5000).toISOString() })).toBe('duplicate');
    expect(await store.putIfAbsent({ ...event, value: 1, fingerprint: 'b'.repeat(40) })).toBe('conflict');
  });

  it('reads and compares items stored before compression (JSON text, hex fingerprint) beside new ones', async () => {
    const documents = createDocumentClient(local.config);
    const store = new DynamoEventStore(documents, local.config.eventsTable!, 30);
    const timeMs = Date.now();
    const timestamp = new Date(timeMs).toISOString();
    const properties = { screen: 'checkout', note: 'naïve — 日本語 🎉', __syncedAt: timestamp };
    const context = {
      library: { name: 'tidemark-ios', version: '1.5.0' },
      os: { name: 'iOS', version: '17.4.1' },
      device: { model: 'iPhone15,2' },
    };
    const fingerprint = '0123456789abcdef'.repeat(3).slice(0, 40);
    const event: StoredEvent = {
      projectId: 'demo',
      eventId: `format-old-${timeMs}`,
      event: 'format_mix',
      deviceId: 'fm',
      sessionId: 's',
      timestamp,
      originalTimestamp: new Date(timeMs - 1000).toISOString(),
      receivedAt: timestamp,
      properties,
      context,
      fingerprint,
    };
    // The item as the event store wrote it before: properties and context as JSON text, 40 hex digits of fingerprint.
    await documents.send(
      new PutCommand({
        TableName: local.config.eventsTable!,
        Item: {
          ...event,
          properties: JSON.stringify(properties),
          context: JSON.stringify(context),
          ...eventItemKey('demo', event.eventId),
          ...eventListKey('demo', dayBucket(timeMs), timestamp, event.eventId, PartitionShards.eventList),
          ts: timeMs,
          expiresAt: Math.floor(timeMs / 1000) + 86_400,
        },
      }),
    );
    const fresh = { ...event, eventId: `format-new-${timeMs}`, originalTimestamp: timestamp };
    expect(await store.putIfAbsent(fresh)).toBe('stored');
    const { fingerprint: _old, ...oldPublic } = event;
    const { fingerprint: _new, ...newPublic } = fresh;
    const listed = await list(`event=format_mix&${around(timeMs)}`);
    expect(listed.sort((a, b) => a.eventId.localeCompare(b.eventId))).toEqual([newPublic, oldPublic]);
    // A resend of the old item is a duplicate, other content a conflict: compared on the same 128 bits.
    expect(await store.putIfAbsent({ ...event, receivedAt: new Date(timeMs + 5000).toISOString() })).toBe('duplicate');
    expect(await store.putIfAbsent({ ...event, fingerprint: `${fingerprint.slice(0, 31)}0${fingerprint.slice(32)}` })).toBe('conflict');
    expect(await store.putIfAbsent({ ...fresh, receivedAt: new Date(timeMs + 5000).toISOString() })).toBe('duplicate');
    expect(await store.putIfAbsent({ ...fresh, fingerprint: `f${fingerprint.slice(1)}` })).toBe('conflict');
    // What a redelivered message reads first tells the same apart the same way, for either stored form.
    const copies = await new DynamoStoredCopies(documents, local.config.eventsTable!).read('demo', [event.eventId, fresh.eventId]);
    for (const id of [event.eventId, fresh.eventId]) {
      const copy = copies.get(id)!;
      expect(copy).toMatchObject({ sessionId: 's', timestamp });
      expect(fingerprintsAgree(copy, fingerprint)).toBe(true);
      expect(fingerprintsAgree(copy, `${fingerprint.slice(0, 31)}0${fingerprint.slice(32)}`)).toBe(false);
    }
  });
});

describe('Idempotency-Key (item 5)', () => {
  // The README's /v1/track curl: no id, no timestamp.
  const readmeRow = (event: string) => ({ event, deviceId: 'phone-1', value: 12.5, source: 'ios' });

  it('stores a retried request once when it carries the same Idempotency-Key', async () => {
    const now = Date.now();
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await send(readmeRow('readme_keyed'), DemoProject.writeKey, '/v1/track', { 'idempotency-key': 'readme-purchase-1' });
      expect(reply.body).toEqual({ accepted: 1, rejected: [] });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await settled(`event=readme_keyed&${around(now)}`, 1)).toHaveLength(1);
    expect((await send(readmeRow('readme_keyed'), DemoProject.writeKey, '/v1/track', { 'idempotency-key': 'has space' })).status).toBe(400);
  });

  it('without one, stores each resend of a row with neither id nor time as a new event (documented)', async () => {
    const now = Date.now();
    await send(readmeRow('readme_unkeyed'), DemoProject.writeKey, '/v1/track');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await send(readmeRow('readme_unkeyed'), DemoProject.writeKey, '/v1/track');
    expect(await settled(`event=readme_unkeyed&${around(now)}`, 2)).toHaveLength(2);
  });
});

describe('alias fields (item 8)', () => {
  it('keeps aliases that were not chosen in properties', async () => {
    const now = Date.now();
    const timestamp = new Date(now).toISOString();
    await send({
      events: [
        { event: 'alias_kept', deviceId: 'al', price: 19.99, quantity: 3, timestamp },
        { event: 'alias_named', name: 'Ada', deviceId: 'al', timestamp },
      ],
    });
    const [purchase] = await settled(`event=alias_kept&${around(now)}`, 1);
    expect(purchase).toMatchObject({ value: 3, properties: { price: 19.99 } });
    const [named] = await settled(`event=alias_named&${around(now)}`, 1);
    expect(named!.properties.name).toBe('Ada');
  });
});

describe('characters SQS refuses (item 9)', () => {
  it('queues and stores rows holding U+FFFE and U+FFFF exactly as sent', async () => {
    const now = Date.now();
    const deviceId = 'dev\uffff';
    const reply = await send({
      events: [{ event: 'sqs_chars', deviceId, timestamp: new Date(now).toISOString(), properties: { note: 'a\ufffeb\uffff' } }],
    });
    expect(reply.body).toEqual({ accepted: 1, rejected: [] });
    const [stored] = await settled(`event=sqs_chars&${around(now)}`, 1);
    expect(stored).toMatchObject({ deviceId, properties: { note: 'a\ufffeb\uffff' } });
  });
});
