/**
 * Per-project caps through the local runtime (issue 19): a project past its cap of distinct event
 * names or sources gets per-row `cardinality` rejections while its names in use still land and
 * another project is unaffected; concurrent first uses never register more names than the cap; a
 * flood of rejected rows keeps at most the daily cap and counts the rest in `/v1/rejections`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/clients.js';
import { DynamoKeyStore } from '../../lambdas/adapters/key-store.js';
import { DynamoNameRegistry } from '../../lambdas/adapters/name-registry.js';
import { eventually, request, startLocal, tidemarkCli, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
const project = (projectId: string) => ({ projectId, writeKey: `${projectId}-write-key`, secretKey: `${projectId}-secret-key` });
const Capped = project('capped');
const Neighbour = project('neighbour');
const Racing = project('racing');
const Flooded = project('flooded');

const cli = (...args: string[]) => tidemarkCli(local, ...args);

beforeAll(async () => {
  local = await startLocal();
  const keys = new DynamoKeyStore(createDocumentClient(local.config), local.config.keysTable!, 0);
  for (const p of [Capped, Neighbour, Racing, Flooded]) {
    await keys.create(p.writeKey, p.projectId, 'write');
    await keys.create(p.secretKey, p.projectId, 'secret');
  }
}, 120_000);
afterAll(async () => {
  await local?.close();
});

const send = (key: string, events: readonly Record<string, unknown>[]) => request(`${local.url}/v1/batch`, { key, body: { events } });
const row = (event: string, source?: string) => ({ event, deviceId: `device-${event}`, ...(source === undefined ? {} : { source }) });

describe('caps on distinct event names and sources', () => {
  it('are read and changed with the CLI like the quotas', async () => {
    expect((await cli('limits', 'get', '--project', Capped.projectId)).out.join('\n')).toMatch(/eventNames\s+500\b[\s\S]*sources\s+100\b/);
    const set = await cli('limits', 'set', '--project', Capped.projectId, '--event-names', '2', '--sources', '1');
    expect(set.code).toBe(0);
    const after = (await cli('limits', 'get', '--project', Capped.projectId)).out.join('\n');
    expect(after).toMatch(/eventNames\s+2\b/);
    expect(after).toMatch(/sources\s+1\b/);
    expect(after).toMatch(/rejectionsKeptPerDay\s+10000\b/);
    expect((await cli('limits', 'set', '--project', Capped.projectId, '--sources', '0')).code).toBe(2);
  });

  it('reject rows with a new name past the cap, per row and with the reason, while names in use land and another project is unaffected', async () => {
    const first = await send(Capped.writeKey, [row('opened', 'ios'), row('paid')]);
    expect(first.body).toEqual({ accepted: 2, rejected: [] });

    const [capped, neighbour] = await Promise.all([
      send(Capped.writeKey, [row('minted-1'), row('opened'), row('paid', 'web'), row('paid', 'ios'), row('minted-2', 'ios')]),
      send(Neighbour.writeKey, [row('minted-1', 'web'), row('minted-2', 'tv'), row('opened'), row('paid', 'ios')]),
    ]);
    expect(capped.status).toBe(202);
    expect(capped.body.accepted).toBe(2);
    expect(capped.body.rejected).toEqual([
      {
        index: 0,
        reason: 'cardinality',
        retryable: false,
        error: expect.stringMatching(/event name 'minted-1' .*eventNames cap of 2.*--event-names/),
      },
      { index: 2, reason: 'cardinality', retryable: false, error: expect.stringMatching(/source 'web' .*sources cap of 1.*--sources/) },
      { index: 4, reason: 'cardinality', retryable: false, error: expect.stringMatching(/event name 'minted-2'/) },
    ]);
    expect(neighbour.body).toEqual({ accepted: 4, rejected: [] });

    // Raising the cap lets the next new name in (the key cache is off locally).
    expect((await cli('limits', 'set', '--project', Capped.projectId, '--event-names', '3')).code).toBe(0);
    // One request at a time: a request's new names are registered side by side, so which of two takes
    // the last slot is not decided by their row order (the cap itself is exact either way).
    expect((await send(Capped.writeKey, [row('minted-1')])).body).toEqual({ accepted: 1, rejected: [] });
    expect((await send(Capped.writeKey, [row('minted-2')])).body.rejected.map((r: { index: number }) => r.index)).toEqual([0]);

    // The pipeline's own `$session_start` events are not the client's names: they are neither registered nor capped.
    const clientEvents = async () =>
      (
        (await request(`${local.url}/v1/events?limit=100`, { key: Capped.secretKey })).body.events as { event: string; source?: string }[]
      ).filter((e) => !e.event.startsWith('$'));
    const stored = await eventually(clientEvents, (events) => events.length >= 5);
    expect(stored.map((e) => `${e.event}/${e.source ?? '-'}`).sort()).toEqual([
      'minted-1/-',
      'opened/-',
      'opened/ios',
      'paid/-',
      'paid/ios',
    ]);
  }, 60_000);

  it('admit a name in use to a container that never saw it, once the cap is reached', async () => {
    // A cold container: its own registry, nothing cached.
    const cold = new DynamoNameRegistry(createDocumentClient(local.config), local.config.stateTable!, 0);
    const refused = await cold.admit(
      Capped.projectId,
      { event: ['opened', 'minted-1', 'brand-new'], source: ['ios', 'tv'] },
      { eventNames: 3, sources: 1 },
    );
    expect(refused).toEqual({ event: new Set(['brand-new']), source: new Set(['tv']) });
  });

  it('never register more names than the cap when first uses race', async () => {
    expect((await cli('limits', 'set', '--project', Racing.projectId, '--event-names', '3')).code).toBe(0);
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => send(Racing.writeKey, [row(`race-${i}`)])));
    expect(replies.map((reply) => reply.status)).toEqual(Array(12).fill(202));
    const admitted = replies.flatMap((reply, i) => (reply.body.accepted === 1 ? [`race-${i}`] : []));
    expect(admitted).toHaveLength(3);
    // The names that won stay usable, the others stay refused.
    const again = await send(
      Racing.writeKey,
      Array.from({ length: 12 }, (_, i) => row(`race-${i}`)),
    );
    expect(again.body.accepted).toBe(3);
    expect(again.body.rejected.every((r: { reason: string }) => r.reason === 'cardinality')).toBe(true);
  });
});

describe('rejected rows kept per day', () => {
  it('keep at most the cap under a flood and count the rest, while every row still gets its reason', async () => {
    expect((await cli('limits', 'set', '--project', Flooded.projectId, '--rejections-kept-per-day', '25')).code).toBe(0);
    const garbage = (batch: number) => Array.from({ length: 20 }, (_, i) => ({ deviceId: `d${i}`, note: `no event name ${batch}-${i}` }));
    const replies = await Promise.all(Array.from({ length: 4 }, (_, batch) => send(Flooded.writeKey, garbage(batch))));
    for (const reply of replies) {
      expect(reply.status).toBe(202);
      expect(reply.body.accepted).toBe(0);
      expect(reply.body.rejected).toHaveLength(20);
      expect(reply.body.rejected.every((r: { reason: string }) => r.reason === 'validation')).toBe(true);
    }

    const listing = await request(`${local.url}/v1/rejections?limit=1000`, { key: Flooded.secretKey });
    expect(listing.status).toBe(200);
    expect(listing.body.rejections).toHaveLength(25);
    expect(listing.body.notKept).toBe(55);
    // Another project's rejections are neither capped nor counted by this one's flood.
    expect((await send(Neighbour.writeKey, [{ deviceId: 'x' }])).body.rejected).toHaveLength(1);
    const neighbour = await request(`${local.url}/v1/rejections?limit=1000`, { key: Neighbour.secretKey });
    expect(neighbour.body).toMatchObject({ rejections: [expect.objectContaining({ reason: 'validation' })], notKept: 0 });
  });
});
