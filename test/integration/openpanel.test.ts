/**
 * OpenPanel's wire protocol through the local runtime: the real `@openpanel/sdk` (Node) pointed at
 * Tidemark, and `/track/batch` held to the contract of the pull request it comes from.
 */
import { OpenPanel } from '@openpanel/sdk';
import { createClients } from '../../lambdas/adapters/clients.js';
import { DynamoDaySalts } from '../../lambdas/adapters/day-salts.js';
import { SYNTHETIC_SESSION_START } from '../../lambdas/core/sessions.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLandedOnce, offlineEvents, trackBatchOf } from '../helpers/openpanel.js';
import { DemoProject, dayRange, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal();
});
afterAll(async () => {
  await local?.close();
});

/** The headers @openpanel/sdk sends, so a hand-made request reads like the SDK's. */
const openPanelHeaders = (clientId: string = DemoProject.writeKey) => ({
  'openpanel-client-id': clientId,
  'openpanel-client-secret': 'not-a-tidemark-key',
  'openpanel-sdk-name': 'node',
});
const post = (path: string, body: unknown, clientId?: string) =>
  request(`${local.url}${path}`, { body, headers: openPanelHeaders(clientId) });
const sdk = () => new OpenPanel({ clientId: DemoProject.writeKey, clientSecret: 'not-a-tidemark-key', apiUrl: local.url });

/** A device's stored events, less the `session_start` the processor adds. */
const storedFor = async (deviceId: string) =>
  (
    (await request(`${local.url}/v1/events?deviceId=${deviceId}`, { key: DemoProject.secretKey })).body.events as Record<string, any>[]
  ).filter((e) => e.event !== SYNTHETIC_SESSION_START);

describe('@openpanel/sdk (Node) against Tidemark', () => {
  it('identifies, then tracks with properties: both stored with the profile as user and device, the value counted', async () => {
    const op = sdk();
    expect(await op.identify({ profileId: 'op-ada', firstName: 'Ada', email: 'ada@example.com', properties: { plan: 'pro' } })).toEqual({
      accepted: 1,
      rejected: [],
    });
    expect(await op.track('op_purchase', { value: 3, sku: 'a' })).toEqual({ accepted: 1, rejected: [] });

    const stored = await eventually(
      () => storedFor('op-ada'),
      (events) => events.length === 2,
    );
    expect(stored.find((e) => e.event === 'op_purchase')).toMatchObject({
      userId: 'op-ada',
      source: 'node',
      value: 3,
      properties: { value: 3, sku: 'a' },
    });
    expect(stored.find((e) => e.event === 'identify')).toMatchObject({
      userId: 'op-ada',
      properties: { traits: { firstName: 'Ada', email: 'ada@example.com', plan: 'pro' } },
    });
    const { from, to } = dayRange();
    const counted = await eventually(
      () => request(`${local.url}/v1/aggregates?event=op_purchase&from=${from}&to=${to}&granularity=day`, { key: DemoProject.secretKey }),
      (reply) => reply.body.series?.length === 1,
    );
    expect(counted.body.series[0]).toMatchObject({ count: 1, sum: 3 });
  });

  it('sends buffered offline events with __timestamp hours back: each lands once, in its own hour and session, value summed, even when resent as a batch', async () => {
    const events = offlineEvents('op_offline', 'op-phone-1', 5);
    const op = sdk();
    for (const event of events) expect(await op.track(event.name, event.properties)).toEqual({ accepted: 1, rejected: [] });
    // The sync loop of an offline-first fork resends what it is unsure of, now through /track/batch.
    expect((await post('/track/batch', trackBatchOf(events))).body).toEqual({ accepted: 5, rejected: [] });

    const stored = await expectLandedOnce(local.url, events);
    expect(stored.every((e) => e.deviceId === 'op-phone-1' && e.source === 'node')).toBe(true);
  });
});

describe('visitors whose SDK names no device', () => {
  it('get one anonymous device per address and user agent, from __ip when a server forwards it, and no IP is stored', async () => {
    const op = sdk();
    const visit = (ip?: string) => ({ step: 1, ...(ip ? { __ip: ip } : {}) });
    for (const ip of [undefined, undefined, '203.0.113.7', '203.0.113.7'])
      expect(await op.track('op_visit', visit(ip))).toEqual({ accepted: 1, rejected: [] });

    const { from, to } = dayRange();
    const page = await eventually(
      () => request(`${local.url}/v1/events?event=op_visit&from=${from}&to=${to}`, { key: DemoProject.secretKey }),
      (reply) => reply.body.events?.length === 4,
    );
    const devices = new Set(page.body.events.map((e: { deviceId: string }) => e.deviceId));
    expect(devices.size).toBe(2);
    for (const device of devices) expect(device).toMatch(/^anon-[0-9a-f]{32}$/);
    expect(JSON.stringify(page.body.events)).not.toMatch(/203\.0\.113\.7|127\.0\.0\.1/);
  });
});

describe('the salt of the day', () => {
  it('is the first one written: every later caller gets it back, whatever it offers', async () => {
    const salts = new DynamoDaySalts(createClients(local.config).documents, local.config.stateTable!);
    const expiresAt = Math.floor(Date.now() / 1000) + 86_400;
    const offers = ['first', 'second', 'third'];
    expect(await salts.daySalt('2000-01-01', offers[0]!, expiresAt)).toBe('first');
    expect(await Promise.all(offers.map((offer) => salts.daySalt('2000-01-01', offer, expiresAt)))).toEqual(['first', 'first', 'first']);
    expect(await salts.daySalt('2000-01-02', 'other day', expiresAt)).toBe('other day');
  });
});

describe('POST /track/batch, the contract of the OpenPanel pull request', () => {
  const track = (name: string, deviceId: string, extra: Record<string, unknown> = {}) => ({
    type: 'track',
    payload: { name, properties: { __deviceId: deviceId, ...extra } },
  });

  it('accepts 2000 rows and stores every one', { timeout: 180_000 }, async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => track('op_bulk', `op-bulk-${i % 20}`, { i }));
    const reply = await post('/track/batch', { events: rows });
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({ accepted: 2000, rejected: [] });
    const { from, to } = dayRange();
    await eventually(
      async () =>
        (await request(`${local.url}/v1/aggregates?event=op_bulk&from=${from}&to=${to}&granularity=day`, { key: DemoProject.secretKey }))
          .body.series,
      (series) => series?.[0]?.count === 2000,
      170_000,
    );
  });

  it('refuses 2001 rows, naming the limit', async () => {
    const reply = await post(
      '/track/batch',
      Array.from({ length: 2001 }, (_, i) => track('op_over', `d${i}`)),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'too_many_events', message: expect.stringMatching(/2000.*maxEventsPerRequest/) });
  });

  it('answers mixed rows with 202, rejecting exactly the bad indices with a reason each, and stores the good ones', async () => {
    const sixDaysAgo = new Date(Date.now() - 6 * 86_400_000).toISOString();
    const rows = [
      track('op_mixed', 'op-mixed-1', { value: 2 }),
      { type: 'alias', payload: { profileId: 'u', alias: 'v', properties: { __ip: '203.0.113.8' } } },
      'not an object',
      { type: 'track', payload: { properties: { __deviceId: 'op-mixed-1' } } },
      track('op_mixed', 'op-mixed-1', { __timestamp: sixDaysAgo }),
      { type: 'identify', payload: { profileId: 'op-mixed-1', firstName: 'M' } },
      { type: 'decrement', payload: { profileId: 'op-mixed-1' } },
      { type: 'increment', payload: { profileId: 'op-mixed-1', property: 'credits', value: 5 } },
      track('op_mixed', 'op-mixed-1', { value: 'twelve' }),
    ];
    const reply = await post('/track/batch', rows);
    expect(reply.status).toBe(202);
    expect(reply.body.accepted).toBe(3);
    expect(reply.body.rejected.map((r: { index: number; reason: string }) => [r.index, r.reason])).toEqual([
      [1, 'unsupported'],
      [2, 'validation'],
      [3, 'validation'],
      [4, 'too_old'],
      [6, 'validation'],
      [8, 'validation'],
    ]);
    expect(reply.body.rejected[5].error).toContain('value');
    const tooOld = reply.body.rejected.find((r: { index: number }) => r.index === 4);
    expect(tooOld.error).toMatch(/older than 5 days \(maxEventAgeDays\)/);

    const stored = await eventually(
      () => storedFor('op-mixed-1'),
      (events) => events.length === 3,
    );
    expect(stored.map((e) => e.event).sort()).toEqual(['identify', 'op_mixed', 'profile.credits']);
    expect(stored.find((e) => e.event === 'profile.credits')).toMatchObject({ value: 5 });
    const rejections = await request(`${local.url}/v1/rejections?limit=100`, { key: DemoProject.secretKey });
    const alias = rejections.body.rejections.filter((r: { row: string }) => r.row.includes('"alias"'));
    expect(alias).toHaveLength(1);
    // Kept for audit as sent, less the address.
    expect(alias[0].row).not.toContain('203.0.113.8');
  });

  it('takes one {type, payload} on /track and the write key only from openpanel-client-id', async () => {
    expect((await post('/track', track('op_single', 'op-single-1'))).body).toEqual({ accepted: 1, rejected: [] });
    expect((await post('/track', track('op_single', 'op-single-1'), 'unknown-key')).status).toBe(401);
    expect((await post('/track', track('op_single', 'op-single-1'), DemoProject.secretKey)).status).toBe(403);
    // The secret header is not a key: alone it authenticates nothing.
    const secretOnly = await request(`${local.url}/track`, {
      body: track('op_single', 'op-single-1'),
      headers: { 'openpanel-client-secret': DemoProject.writeKey },
    });
    expect(secretOnly.status).toBe(401);
  });
});
