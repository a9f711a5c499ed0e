/** The processor through the local runtime: exactly-once storage, sessions, live state, FIFO and the DLQ. */
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/clients.js';
import { DynamoKeyStore } from '../../lambdas/adapters/key-store.js';
import { SYNTHETIC_SESSION_START } from '../../lambdas/core/sessions.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

/** `$session_start` in a query string. */
const START = encodeURIComponent(SYNTHETIC_SESSION_START);

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal();
});
afterAll(async () => {
  await local?.close();
});

const HALF_HOUR = 30 * 60_000;
type Stored = {
  eventId: string;
  event: string;
  deviceId: string;
  sessionId: string;
  timestamp: string;
  properties: Record<string, unknown>;
};

async function listAll(query: string, key: string = DemoProject.secretKey, limit = 1000): Promise<Stored[]> {
  const events: Stored[] = [];
  let cursor: string | null = null;
  do {
    const reply = await request(`${local.url}/v1/events?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { key });
    expect(reply.status).toBe(200);
    events.push(...reply.body.events);
    cursor = reply.body.nextCursor;
  } while (cursor);
  return events;
}

const range = (fromMs: number, toMs: number) => `from=${new Date(fromMs).toISOString()}&to=${new Date(toMs).toISOString()}`;
const send = (path: string, body: unknown, key: string = DemoProject.writeKey) => request(`${local.url}${path}`, { key, body });

describe('exactly-once storage', () => {
  it('stores each event of a batch sent three times once, whatever its sentAt', async () => {
    const now = Date.now();
    // One 30-minute session bucket, all in the past: at 10:00:20 a run of 50 seconds back from now crossed
    // into the previous bucket and made two sessions.
    const bucketStart = Math.floor((now - 60_000) / HALF_HOUR) * HALF_HOUR;
    const events = Array.from({ length: 50 }, (_, i) => ({
      event: 'thrice',
      deviceId: 'thrice-device',
      timestamp: new Date(bucketStart + i * 1000).toISOString(),
      properties: { i },
    }));
    for (let attempt = 0; attempt < 3; attempt++) {
      const reply = await send('/v1/batch', { events, sentAt: new Date(now + attempt * 120_000).toISOString() });
      expect(reply.body.accepted).toBe(50);
    }
    const stored = await eventually(
      () => listAll(`deviceId=thrice-device&${range(now - 3_600_000, now + 3_600_000)}`),
      (list) => list.filter((e) => e.event === 'thrice').length >= 50,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const again = await listAll(`deviceId=thrice-device&${range(now - 3_600_000, now + 3_600_000)}`);
    expect(again.filter((e) => e.event === 'thrice')).toHaveLength(50);
    expect(new Set(again.map((e) => e.eventId)).size).toBe(again.length);
    expect(again.filter((e) => e.event === SYNTHETIC_SESSION_START)).toHaveLength(1);
    for (const event of again) expect(event.properties.__syncedAt).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect(stored.length).toBeGreaterThan(0);
  });
});

describe('sessions', () => {
  it('gives one device 240 sessions over 5 days of 30-minute buckets, each with one synthetic start just before its first event', {
    timeout: 300_000,
  }, async () => {
    const start = Math.floor((Date.now() - 6 * 86_400_000) / HALF_HOUR) * HALF_HOUR;
    const rows = Array.from({ length: 240 }, (_, bucket) =>
      [7, 19].map((minute) => ({
        event: 'tick',
        deviceId: 'week-device',
        timestamp: new Date(start + bucket * HALF_HOUR + minute * 60_000).toISOString(),
      })),
    ).flat();
    const reply = await send('/v1/import', rows, DemoProject.secretKey);
    expect(reply.body).toEqual({ accepted: 480, rejected: [] });
    const window = range(start, start + 240 * HALF_HOUR);
    const ticks = await eventually(
      () => listAll(`deviceId=week-device&event=tick&${window}`),
      (list) => list.length >= 480,
      240_000,
    );
    expect(ticks).toHaveLength(480);
    // A session's start is written once its events are stored.
    const starts = await eventually(
      () => listAll(`deviceId=week-device&event=${START}&${window}`),
      (list) => list.length >= 240,
      240_000,
    );
    expect(starts).toHaveLength(240);
    const firstBySession = new Map<string, number>();
    for (const tick of ticks)
      firstBySession.set(tick.sessionId, Math.min(firstBySession.get(tick.sessionId) ?? Infinity, Date.parse(tick.timestamp)));
    expect(firstBySession.size).toBe(240);
    for (const s of starts) expect(Date.parse(s.timestamp)).toBe(firstBySession.get(s.sessionId)! - 1);
  });

  it('scopes a client session id by device: four devices sharing one id get a start each, once however they race', async () => {
    const now = Date.now();
    const batchFor = (deviceId: string) => ({
      events: Array.from({ length: 30 }, (_, i) => ({
        event: 'race',
        deviceId,
        sessionId: 'shared-session',
        timestamp: new Date(now - i * 10).toISOString(),
      })),
    });
    const devices = ['racer-a', 'racer-b', 'racer-c', 'racer-d'];
    await Promise.all([...devices, ...devices].map((device) => send('/v1/batch', batchFor(device))));
    const window = range(now - 60_000, now + 60_000);
    await eventually(
      () => listAll(`event=race&${window}`),
      (list) => list.length === 120,
    );
    const starts = await eventually(
      async () => (await listAll(`event=${START}&${window}`)).filter((e) => e.sessionId === 'shared-session'),
      (list) => list.length >= 4,
    );
    expect(starts.map((e) => e.deviceId).sort()).toEqual(devices);
  });

  it('stamps the start of a session whose first event opens its bucket at the bucket start, never in the previous hour or day', async () => {
    const midnight = Math.floor((Date.now() - 2 * 86_400_000) / 86_400_000) * 86_400_000;
    const rows = [0, HALF_HOUR].map((offset, i) => ({
      event: 'on-the-dot',
      deviceId: 'dot-device',
      eventId: `dot-${i}`,
      timestamp: new Date(midnight + offset).toISOString(),
    }));
    expect((await send('/v1/import', rows, DemoProject.secretKey)).body.accepted).toBe(2);
    const window = range(midnight - 86_400_000, midnight + 86_400_000);
    const starts = await eventually(
      () => listAll(`deviceId=dot-device&event=${START}&${window}`),
      (l) => l.length === 2,
    );
    expect(starts.map((e) => e.timestamp).sort()).toEqual(rows.map((r) => r.timestamp));
    expect(await listAll(`deviceId=dot-device&${range(midnight - 86_400_000, midnight)}`)).toEqual([]);
  });

  it('counts a client-sent session_start apart from the synthetic start', async () => {
    const day = Math.floor((Date.now() - 3 * 86_400_000) / 86_400_000) * 86_400_000;
    const at = new Date(day + 12 * 3_600_000 + 500).toISOString();
    await send('/v1/import', [{ event: 'session_start', deviceId: 'firebase-device', timestamp: at }], DemoProject.secretKey);
    const query = `${local.url}/v1/aggregates?${range(day, day + 86_400_000)}&granularity=day&groupBy=event&event=session_start`;
    const series = await eventually(
      async () => (await request(query, { key: DemoProject.secretKey })).body.series as { count: number }[],
      (s) => s.length > 0,
      120_000,
    );
    expect(series).toEqual([expect.objectContaining({ event: 'session_start', count: 1, uniqueDevices: 1 })]);
    const [stored] = await listAll(`deviceId=firebase-device&event=session_start&${range(day, day + 86_400_000)}`);
    expect(stored).toMatchObject({ event: 'session_start' });
    expect(stored!.properties).not.toHaveProperty('synthetic');
  });
});

describe('a resend whose copy differs from what was stored', () => {
  it('contributes nothing: no lock, no start for a session with no stored event, no move of the device', async () => {
    const now = Date.now();
    const stored = new Date(now - 45 * 60_000).toISOString(); // historical
    const resent = new Date(now - 60_000).toISOString(); // live, in another session
    await send('/v1/batch', { events: [{ event: 'resent', deviceId: 'resend-device', eventId: 'resend-1', timestamp: stored }] });
    await eventually(
      () => listAll(`deviceId=resend-device&${range(now - 3_600_000, now + 60_000)}`),
      (l) => l.length === 2,
    );
    await send('/v1/batch', { events: [{ event: 'resent', deviceId: 'resend-device', eventId: 'resend-1', timestamp: resent }] });
    // Messages of one device are processed in order: once this one is stored, the resend was processed.
    await send('/v1/batch', { events: [{ event: 'sentinel', deviceId: 'resend-device', eventId: 'resend-sentinel', timestamp: stored }] });
    const events = await eventually(
      () => listAll(`deviceId=resend-device&${range(now - 3_600_000, now + 60_000)}`),
      (l) => l.some((e) => e.event === 'sentinel'),
    );
    expect(events.map((e) => e.event).sort()).toEqual([SYNTHETIC_SESSION_START, 'resent', 'sentinel']);
    expect(events.find((e) => e.event === 'resent')!.timestamp).toBe(stored);
    expect((await request(`${local.url}/v1/devices/resend-device`, { key: DemoProject.secretKey })).status).toBe(404);
  });
});

describe('live versus historical', () => {
  it('moves the device state on live events only', async () => {
    const device = (id: string) => request(`${local.url}/v1/devices/${id}`, { key: DemoProject.secretKey });
    expect((await device('live-device')).status).toBe(404);
    const live = new Date(Date.now() - 60_000).toISOString();
    await send('/v1/track', { event: 'open', deviceId: 'live-device', timestamp: live });
    const first = await eventually(
      () => device('live-device'),
      (r) => r.status === 200,
    );
    expect(first.body).toEqual({ deviceId: 'live-device', lastSeen: live, sessionId: expect.any(String) });

    const old = Date.now() - 2 * 86_400_000;
    await send(
      '/v1/import',
      Array.from({ length: 20 }, (_, i) => ({
        event: 'old',
        deviceId: 'live-device',
        timestamp: new Date(old + i * 60_000).toISOString(),
      })),
      DemoProject.secretKey,
    );
    await eventually(
      () => listAll(`deviceId=live-device&event=old&${range(old - 1, old + 86_400_000)}`),
      (l) => l.length === 20,
    );
    expect((await device('live-device')).body).toEqual(first.body);

    const later = new Date().toISOString();
    await send('/v1/track', { event: 'open', deviceId: 'live-device', timestamp: later });
    const moved = await eventually(
      () => device('live-device'),
      (r) => r.body.lastSeen === later,
    );
    expect(moved.body.sessionId).toEqual(expect.any(String));
  });
});

describe('FIFO and the DLQ', () => {
  // Five receives with the poller's growing visibility waits (1, 2, 4, 8 s) take 15 s at best; a loaded machine takes longer.
  it('moves a message that keeps failing to the DLQ after maxReceiveCount while other devices go on', { timeout: 150_000 }, async () => {
    const sqs = new SQSClient({
      endpoint: local.sqsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: local.queues.queueUrl,
        MessageBody: '{"poison":true}',
        MessageGroupId: 'demo#poison-device',
        MessageDeduplicationId: 'poison-1',
      }),
    );
    const now = Date.now();
    await send('/v1/batch', {
      events: Array.from({ length: 10 }, (_, i) => ({
        event: 'healthy',
        deviceId: `healthy-${i}`,
        timestamp: new Date(now).toISOString(),
      })),
    });
    await eventually(
      () => listAll(`event=healthy&${range(now - 1, now + 60_000)}`),
      (l) => l.length === 10,
    );
    const dead = await eventually(
      () => sqs.send(new ReceiveMessageCommand({ QueueUrl: local.queues.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 })),
      (r) => (r.Messages ?? []).length > 0,
      120_000,
    );
    expect(dead.Messages![0]!.Body).toBe('{"poison":true}');
    sqs.destroy();
  });
});

describe('GET /v1/events', () => {
  it('pages newest first with filters, never repeating an event', async () => {
    const now = Date.now();
    const events = Array.from({ length: 25 }, (_, i) => ({
      event: i % 2 ? 'odd' : 'even',
      deviceId: 'pager',
      source: i % 5 ? 'app' : 'web',
      timestamp: new Date(now - i * 1000).toISOString(),
    }));
    await send('/v1/batch', { events });
    const window = range(now - 60_000, now + 1);
    await eventually(
      () => listAll(`deviceId=pager&${window}`),
      (l) => l.filter((e) => e.event !== SYNTHETIC_SESSION_START).length === 25,
    );
    const paged = await listAll(`deviceId=pager&${window}`, DemoProject.secretKey, 7);
    expect(paged.map((e) => e.timestamp)).toEqual([...paged.map((e) => e.timestamp)].sort().reverse());
    expect(new Set(paged.map((e) => e.eventId)).size).toBe(paged.length);
    expect((await listAll(`deviceId=pager&event=odd&${window}`, DemoProject.secretKey, 4)).length).toBe(12);
    expect((await listAll(`deviceId=pager&source=web&${window}`)).filter((e) => e.event !== SYNTHETIC_SESSION_START).length).toBe(5);
    expect((await listAll(`deviceId=pager&source=web&event=even&${window}`)).length).toBe(3);
  });

  it('answers 400 for bad parameters and shows a project only its own events', async () => {
    expect((await request(`${local.url}/v1/events?limit=0`, { key: DemoProject.secretKey })).status).toBe(400);
    expect((await request(`${local.url}/v1/events?from=never`, { key: DemoProject.secretKey })).status).toBe(400);
    expect((await request(`${local.url}/v1/events?cursor=garbage`, { key: DemoProject.secretKey })).status).toBe(400);

    const keys = new DynamoKeyStore(createDocumentClient(local.config), local.config.keysTable!, 0);
    await keys.create('other-write', 'other', 'write');
    await keys.create('other-secret', 'other', 'secret');
    const now = Date.now();
    await send('/v1/track', { event: 'mine', deviceId: 'shared-device-id', timestamp: new Date(now).toISOString() }, 'other-write');
    const window = range(now - 60_000, now + 60_000);
    await eventually(
      () => listAll(`event=mine&${window}`, 'other-secret'),
      (l) => l.length === 1,
    );
    expect(await listAll(`event=mine&${window}`)).toHaveLength(0);
    expect((await request(`${local.url}/v1/devices/shared-device-id`, { key: DemoProject.secretKey })).status).toBe(404);
    await eventually(
      () => request(`${local.url}/v1/devices/shared-device-id`, { key: 'other-secret' }),
      (r) => r.status === 200,
    );
  });
});
