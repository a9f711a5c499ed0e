/** What the local runtime serves for the console: its config, /local/stats as the pipeline moves, the failure switches. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/clients.js';
import { DynamoKeyStore } from '../../lambdas/adapters/key-store.js';
import { KeyKind } from '../../lambdas/core/keys.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal();
}, 120_000);
afterAll(() => local?.close());

describe('local routes', () => {
  it('tells the console where the API is and, locally only, the demo keys', async () => {
    const config = await request(`${local.url}/console/config.json`);
    expect(config.body).toEqual({ apiUrl: '', local: true, writeKey: DemoProject.writeKey, secretKey: DemoProject.secretKey });
    for (const path of ['/console', '/']) {
      const redirect = await fetch(`${local.url}${path}`, { redirect: 'manual' });
      expect(redirect.status).toBe(308);
      expect(redirect.headers.get('location')).toBe('/console/');
    }
  });

  it('serves no file outside the console build', async () => {
    const traversal = await request(`${local.url}/console/..%2F..%2Fpackage.json`);
    expect(traversal.status).toBe(404);
    expect(JSON.stringify(traversal.body)).not.toContain('"scripts"');
  });

  it('counts per project: accepted, rejected, stored and counted, session_starts apart, resends apart, and freshness', async () => {
    const otherKey = 'local-routes-other-write';
    const keys = createDocumentClient(local.config);
    await new DynamoKeyStore(keys, local.config.keysTable!, 0).create(otherKey, 'local-routes-other', KeyKind.write);
    keys.destroy();
    const now = new Date().toISOString();
    const sent = await request(`${local.url}/v1/batch`, {
      key: DemoProject.writeKey,
      body: { events: [{ event: 'a', deviceId: 'stats-1', eventId: 'stats-a-1', timestamp: now }, { deviceId: 'no-name' }] },
    });
    expect(sent.status).toBe(202);
    // Another project's traffic, and validate-only requests, are not the demo project's figures.
    await request(`${local.url}/v1/batch`, {
      key: otherKey,
      body: {
        events: [
          { event: 'a', deviceId: 'o', timestamp: now },
          { event: 'b', deviceId: 'o', timestamp: now },
        ],
      },
    });
    await request(`${local.url}/v1/batch?validate=true`, { key: DemoProject.writeKey, body: { events: [{ event: 'a', deviceId: 'x' }] } });
    const statsOf = async () => (await request(`${local.url}/local/stats`, { key: DemoProject.secretKey })).body;
    const first = await eventually(statsOf, (body) => body.totals.counted >= 1 && body.totals.sessionStartsCounted >= 1);
    // One event and its session_start are stored and counted, each in its own figure.
    expect(first.projectId).toBe('demo');
    expect(first.totals).toMatchObject({
      accepted: 1,
      rejected: 1,
      stored: 1,
      sessionStarts: 1,
      counted: 1,
      sessionStartsCounted: 1,
      resends: 0,
      refused: 0,
    });
    expect(first.minutes.at(-1).accepted).toBe(1);
    expect(first.freshness.samples).toBe(1);
    expect(first.freshness.p50Ms).toBeGreaterThanOrEqual(0);
    expect(first.queue).toEqual({ visible: 0, inFlight: 0 });
    expect(first.deadLetters.visible).toBe(0);

    // The client sends the event again in a new request, beside a new one: accepted, then dropped as a
    // resend. (Sent alone, the very same message would be dropped by SQS's own deduplication first.)
    const again = [
      { event: 'a', deviceId: 'stats-1', eventId: 'stats-a-1', timestamp: now },
      { event: 'a', deviceId: 'stats-1', eventId: 'stats-a-2', timestamp: now },
    ];
    await request(`${local.url}/v1/batch`, { key: DemoProject.writeKey, body: { events: again } });
    const resent = await eventually(statsOf, (body) => body.totals.resends >= 1 && body.totals.counted >= 2);
    expect(resent.totals).toMatchObject({ accepted: 3, stored: 2, counted: 2, sessionStarts: 1, resends: 1, redeliveries: 0 });
    const other = await eventually(
      async () => (await request(`${local.url}/local/stats`, { key: otherKey })).body,
      (body) => body.totals.counted >= 2,
    );
    expect(other.totals).toMatchObject({ accepted: 2, stored: 2, counted: 2 });
    expect((await request(`${local.url}/local/stats`)).status).toBe(401);
  });

  it('counts and lists whole requests refused, with their reason', async () => {
    const before = (await request(`${local.url}/local/stats`, { key: DemoProject.secretKey })).body.totals.refused;
    expect(
      (await request(`${local.url}/v1/batch`, { key: DemoProject.writeKey, body: 'not json', headers: { 'content-type': 'text/csv' } }))
        .status,
    ).toBe(415);
    expect((await request(`${local.url}/v1/batch`, { key: DemoProject.writeKey, body: { events: [] } })).status).toBe(400);
    expect((await request(`${local.url}/v1/batch`, { key: 'no-such-key', body: { events: [{ event: 'a', deviceId: 'd' }] } })).status).toBe(
      401,
    );
    const stats = (await request(`${local.url}/local/stats`, { key: DemoProject.secretKey })).body;
    expect(stats.totals.refused).toBe(before + 2);
    expect(stats.refusals.slice(0, 2).map((r: { status: number; error: string; path: string }) => [r.status, r.error, r.path])).toEqual([
      [400, 'no_events', '/v1/batch'],
      [415, 'unsupported_media_type', '/v1/batch'],
    ]);
    expect(stats.refusals[1].message).toContain('text/csv');
    expect(stats.unattributedRefusals[0]).toMatchObject({ status: 401, path: '/v1/batch' });
  });

  it('shows a crashing processor in the last errors, and the event stored once the switch is off', async () => {
    await request(`${local.url}/local/faults`, { method: 'PUT', body: { processCrash: 0.9 } });
    const sent = await request(`${local.url}/v1/batch`, {
      key: DemoProject.writeKey,
      body: { events: [{ event: 'recovers', deviceId: 'stats-2', eventId: 'recovers-1' }] },
    });
    expect(sent.body.accepted).toBe(1);
    const failing = await eventually(
      async () => (await request(`${local.url}/local/stats`, { key: DemoProject.secretKey })).body,
      (body) =>
        body.recentErrors.some(
          (e: { where: string; message: string }) => e.where === 'process' && e.message.includes('SQS delivers them again'),
        ),
    );
    await request(`${local.url}/local/faults`, { method: 'PUT', body: { processCrash: 0 } });
    expect(
      failing.faults.fired.processCrashBefore + failing.faults.fired.processCrashBetween + failing.faults.fired.processCrashAfter,
    ).toBeGreaterThan(0);
    const recovered = await eventually(
      async () => (await request(`${local.url}/v1/events?event=recovers`, { key: DemoProject.secretKey })).body,
      (body) => body.events?.length === 1,
    );
    expect(recovered.events[0].eventId).toBe('recovers-1');
  });

  it('turns failure switches on and off, and refuses what is not a switch', async () => {
    const on = await request(`${local.url}/local/faults`, { method: 'PUT', body: { sqsSendFailure: 0.5 } });
    expect(on.status).toBe(200);
    expect(on.body.plan.sqsSendFailure).toBe(0.5);
    expect(local.faults.plan.sqsSendFailure).toBe(0.5);
    for (const bad of [{ sqsSendFailure: 1 }, { seed: 3 }, { processCrash: 'yes' }]) {
      const refused = await request(`${local.url}/local/faults`, { method: 'PUT', body: bad });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_parameter');
    }
    expect((await request(`${local.url}/local/faults`, { method: 'PUT', body: 'nope' })).body.error).toBe('invalid_json');
    await request(`${local.url}/local/faults`, { method: 'PUT', body: { sqsSendFailure: 0 } });
    expect(local.faults.plan.sqsSendFailure).toBe(0);
  });
});
