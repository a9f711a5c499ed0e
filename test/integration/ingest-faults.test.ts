/**
 * What a client sees when SQS fails part of a send and when it sends too fast:
 * per-row `internal` rejections for exactly the rows not queued, and 429 with Retry-After.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvNames } from '../../resources/index.js';
import { createDocumentClient } from '../../lambdas/adapters/clients.js';
import { DynamoKeyStore } from '../../lambdas/adapters/key-store.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal({
    faults: { seed: 3, sqsSendFailure: 0.6 },
    functionEnv: { [EnvNames.rateLimitPerSecond]: '5' },
  });
  const keys = new DynamoKeyStore(createDocumentClient(local.config), local.config.keysTable!, 0);
  await keys.create('burst-write', 'burst', 'write');
});
afterAll(async () => {
  await local?.close();
});

describe('SQS partial failures', () => {
  it('reports exactly the rows whose messages could not be queued as internal and retryable, and stores all the others', async () => {
    const now = Date.now();
    const events = Array.from({ length: 40 }, (_, i) => ({
      event: 'partial',
      eventId: `partial-${i}`,
      deviceId: `partial-device-${i % 20}`,
      timestamp: new Date(now - i).toISOString(),
    }));
    const reply = await request(`${local.url}/v1/batch`, { key: DemoProject.writeKey, body: { events } });
    expect(reply.status).toBe(202);
    const failed = new Set<number>(reply.body.rejected.map((r: { index: number }) => r.index));
    for (const rejection of reply.body.rejected) expect(rejection).toMatchObject({ reason: 'internal', retryable: true });
    expect(failed.size).toBeGreaterThan(0);
    expect(reply.body.accepted + failed.size).toBe(40);
    // Rows of one device share a message, so they fail or succeed together.
    for (const index of failed) expect(failed.has((index + 20) % 40)).toBe(true);

    const stored = await eventually(
      async () => {
        const r = await request(`${local.url}/v1/events?event=partial&limit=100&from=${new Date(now - 60_000).toISOString()}`, {
          key: DemoProject.secretKey,
        });
        return r.body.events as { eventId: string }[];
      },
      (list) => list.length >= reply.body.accepted,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ids = new Set(stored.map((e) => e.eventId));
    expect(ids.size).toBe(reply.body.accepted);
    for (const [i, e] of events.entries()) expect(ids.has(e.eventId)).toBe(!failed.has(i));
    expect(local.faults.counts.sqsSendFailure).toBeGreaterThan(0);
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a project is over its rate, and lets the next second through', async () => {
    const replies = await Promise.all(
      Array.from({ length: 15 }, () => request(`${local.url}/v1/track`, { key: 'burst-write', body: { event: 'burst', deviceId: 'b' } })),
    );
    const limited = replies.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(replies.filter((r) => r.status === 202).length).toBeLessThanOrEqual(10);
    expect(limited[0]!.headers.get('retry-after')).toBe('1');
    expect(limited[0]!.body).toMatchObject({ error: 'rate_limited' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await request(`${local.url}/v1/track`, { key: 'burst-write', body: { event: 'burst', deviceId: 'b' } })).status).toBe(202);
  });
});
