/**
 * The mainstream server-side clients, unmodified and with their default settings, against the local
 * runtime: RudderStack's Node SDK (gzip on, which labels gzipped JSON as form data) and Segment's
 * analytics-node. What arrives is read back from `/v1/events` field by field.
 */
import { randomUUID } from 'node:crypto';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNTHETIC_SESSION_START } from '../../lambdas/core/sessions.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal();
});
afterAll(async () => {
  await local?.close();
});

type StoredEvent = {
  eventId: string;
  event: string;
  deviceId: string;
  userId?: string;
  source?: string;
  value?: number;
  timestamp: string;
  originalTimestamp: string;
  properties: Record<string, unknown>;
  context?: Record<string, unknown>;
};

const storedOf = async (deviceId: string, expected: number): Promise<StoredEvent[]> => {
  const from = new Date(Date.now() - 86_400_000).toISOString();
  const to = new Date(Date.now() + 86_400_000).toISOString();
  const reply = await eventually(
    () => request(`${local.url}/v1/events?deviceId=${encodeURIComponent(deviceId)}&from=${from}&to=${to}`, { key: DemoProject.secretKey }),
    (r) => r.status === 200 && (r.body.events as StoredEvent[]).filter((e) => e.event !== SYNTHETIC_SESSION_START).length >= expected,
  );
  return (reply.body.events as StoredEvent[]).filter((e) => e.event !== SYNTHETIC_SESSION_START);
};

/** One message of each kind a client sends, with ids and times the test knows. */
const messagesFor = (deviceId: string) => {
  const at = (secondsAgo: number) => new Date(Math.floor(Date.now() / 1000 - secondsAgo) * 1000);
  return {
    track: {
      messageId: randomUUID(),
      anonymousId: deviceId,
      userId: 'user-7',
      event: 'Order Completed',
      properties: { revenue: 19.99, sku: 'A-1', note: 'naïve #1' },
      timestamp: at(30),
    },
    identify: {
      messageId: randomUUID(),
      anonymousId: deviceId,
      userId: 'user-7',
      traits: { plan: 'pro', email: 'a@example.com' },
      timestamp: at(20),
    },
    screenOrPage: {
      messageId: randomUUID(),
      anonymousId: deviceId,
      userId: 'user-7',
      name: 'Pricing',
      category: 'Docs',
      properties: { path: '/pricing' },
      timestamp: at(10),
    },
  };
};

type Messages = ReturnType<typeof messagesFor>;

function expectDelivered(stored: StoredEvent[], sent: Messages, screenOrPage: 'screen' | 'page', library: string, deviceId: string) {
  const byId = new Map(stored.map((e) => [e.eventId, e]));
  expect(stored).toHaveLength(3);

  const track = byId.get(sent.track.messageId)!;
  expect(track.event).toBe('Order Completed');
  expect(track.deviceId).toBe(deviceId);
  expect(track.userId).toBe('user-7');
  expect(track.source).toBe(library);
  expect(track.value).toBe(19.99);
  expect(track.originalTimestamp).toBe(sent.track.timestamp.toISOString());
  expect(track.properties).toMatchObject({ revenue: 19.99, sku: 'A-1', note: 'naïve #1' });
  expect(track.context).toMatchObject({ library: { name: library } });

  const identify = byId.get(sent.identify.messageId)!;
  expect(identify.event).toBe('identify');
  expect(identify.deviceId).toBe(deviceId);
  expect(identify.userId).toBe('user-7');
  expect(identify.source).toBe(library);
  expect(identify.value).toBeUndefined();
  expect(identify.originalTimestamp).toBe(sent.identify.timestamp.toISOString());
  expect(identify.properties).toMatchObject({ traits: { plan: 'pro', email: 'a@example.com' } });

  const view = byId.get(sent.screenOrPage.messageId)!;
  expect(view.event).toBe(screenOrPage);
  expect(view.deviceId).toBe(deviceId);
  expect(view.userId).toBe('user-7');
  expect(view.source).toBe(library);
  expect(view.originalTimestamp).toBe(sent.screenOrPage.timestamp.toISOString());
  expect(view.properties).toMatchObject({ name: 'Pricing', path: '/pricing', ...(screenOrPage === 'page' ? { category: 'Docs' } : {}) });
}

describe('unmodified clients with default settings', () => {
  it('RudderStack rudder-sdk-node (gzipped JSON labelled as form data) delivers track, identify and screen', async () => {
    const deviceId = `rudder-${randomUUID()}`;
    const sent = messagesFor(deviceId);
    const errors: unknown[] = [];
    const client = new RudderAnalytics(DemoProject.writeKey, {
      dataPlaneUrl: local.url,
      errorHandler: (error: unknown) => errors.push(error),
    });
    client.track(sent.track);
    client.identify(sent.identify);
    client.screen(sent.screenOrPage);
    await client.flush();

    expect(errors).toEqual([]);
    expectDelivered(await storedOf(deviceId, 3), sent, 'screen', 'analytics-node', deviceId);
  });

  it("Segment's analytics-node delivers track, identify and page", async () => {
    const deviceId = `segment-${randomUUID()}`;
    const sent = messagesFor(deviceId);
    const client = new SegmentAnalytics({ writeKey: DemoProject.writeKey, host: local.url });
    const failures: unknown[] = [];
    client.on('error', (error) => failures.push(error));
    client.track(sent.track);
    client.identify(sent.identify);
    client.page(sent.screenOrPage);
    await client.closeAndFlush();

    expect(failures).toEqual([]);
    expectDelivered(await storedOf(deviceId, 3), sent, 'page', '@segment/analytics-node', deviceId);
  });
});
