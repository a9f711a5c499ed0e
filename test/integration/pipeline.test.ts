/**
 * The foundation, end to end through the local runtime: a POSTed event is queued, stored by the
 * processor, reaches the aggregate function through the stream, and is counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoProject, dayRange, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal();
});
afterAll(async () => {
  await local?.close();
});

describe('local runtime', () => {
  it('answers /health once every part is ready', async () => {
    const health = await request(`${local.url}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
  });

  it('takes one tracked event to the counters', async () => {
    const now = new Date();
    const sent = await request(`${local.url}/v1/track`, {
      key: DemoProject.writeKey,
      body: { event: 'purchase', deviceId: 'device-e2e', value: 42, source: 'ios', timestamp: now.toISOString() },
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ accepted: 1, rejected: [] });

    const { from, to } = dayRange(now);
    const counted = await eventually(
      () =>
        request(`${local.url}/v1/aggregates?event=purchase&from=${from}&to=${to}&granularity=day`, {
          key: DemoProject.secretKey,
        }),
      (reply) => reply.body.series?.length === 1,
    );
    expect(counted.body.series).toEqual([{ bucket: from, count: 1, sum: 42, sumExact: '42', uniqueDevices: 1 }]);

    const stored = await request(`${local.url}/v1/events?deviceId=device-e2e`, { key: DemoProject.secretKey });
    const purchase = stored.body.events.find((e: { event: string }) => e.event === 'purchase');
    expect(purchase).toMatchObject({ deviceId: 'device-e2e', value: 42, source: 'ios', timestamp: now.toISOString() });
    expect(purchase.properties.__syncedAt).toEqual(expect.any(String));
  });

  it('keeps the write key and the secret key to their own endpoints', async () => {
    const read = await request(`${local.url}/v1/events`, { key: DemoProject.writeKey });
    expect(read.status).toBe(403);
    const write = await request(`${local.url}/v1/track`, { key: DemoProject.secretKey, body: { event: 'x', deviceId: 'd' } });
    expect(write.status).toBe(403);
    const unknown = await request(`${local.url}/v1/track`, { key: 'nope', body: { event: 'x', deviceId: 'd' } });
    expect(unknown.status).toBe(401);
  });
});
