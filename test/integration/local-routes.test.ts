/** What the local runtime serves for the console: its config, /local/stats as the pipeline moves, the failure switches. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const redirect = await fetch(`${local.url}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/console/');
  });

  it('serves no file outside the console build', async () => {
    const traversal = await request(`${local.url}/console/..%2F..%2Fpackage.json`);
    expect(traversal.status).toBe(404);
    expect(JSON.stringify(traversal.body)).not.toContain('"scripts"');
  });

  it('counts accepted, rejected, stored and counted events per minute, and freshness', async () => {
    const now = Date.now();
    const sent = await request(`${local.url}/v1/batch`, {
      key: DemoProject.writeKey,
      body: { events: [{ event: 'a', deviceId: 'stats-1', timestamp: new Date(now).toISOString() }, { deviceId: 'no-name' }] },
    });
    expect(sent.status).toBe(202);
    // Validate-only requests queue nothing and are not counted.
    await request(`${local.url}/v1/batch?validate=true`, { key: DemoProject.writeKey, body: { events: [{ event: 'a', deviceId: 'x' }] } });
    const stats = await eventually(
      async () => (await request(`${local.url}/local/stats`)).body,
      (body) => body.totals.counted >= 2,
    );
    // One event and its session_start are stored and counted.
    expect(stats.totals).toEqual({ accepted: 1, rejected: 1, stored: 2, duplicates: 0, counted: 2 });
    expect(stats.minutes.at(-1).accepted).toBe(1);
    expect(stats.freshness.samples).toBe(2);
    expect(stats.freshness.p50Ms).toBeGreaterThanOrEqual(0);
    expect(stats.queue).toEqual({ visible: 0, inFlight: 0 });
    expect(stats.deadLetters.visible).toBe(0);
  });

  it('shows a crashing processor in the last errors, and the event stored once the switch is off', async () => {
    await request(`${local.url}/local/faults`, { method: 'PUT', body: { processCrash: 0.9 } });
    const sent = await request(`${local.url}/v1/batch`, {
      key: DemoProject.writeKey,
      body: { events: [{ event: 'recovers', deviceId: 'stats-2', eventId: 'recovers-1' }] },
    });
    expect(sent.body.accepted).toBe(1);
    const failing = await eventually(
      async () => (await request(`${local.url}/local/stats`)).body,
      (body) => body.recentErrors.some((e: { where: string; message: string }) => e.where === 'process' && e.message.includes('SQS delivers them again')),
    );
    await request(`${local.url}/local/faults`, { method: 'PUT', body: { processCrash: 0 } });
    expect(failing.faults.fired.processCrashBefore + failing.faults.fired.processCrashBetween + failing.faults.fired.processCrashAfter).toBeGreaterThan(0);
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
