/** Doors closed: isolation between projects on every endpoint, and hostile requests answered without a 5xx. */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/clients.js';
import { DynamoKeyStore } from '../../lambdas/adapters/key-store.js';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
const B = { write: 'project-b-write', secret: 'project-b-secret' };
beforeAll(async () => {
  local = await startLocal();
  const keys = new DynamoKeyStore(createDocumentClient(local.config), local.config.keysTable!, 0);
  await keys.create(B.write, 'project-b', 'write');
  await keys.create(B.secret, 'project-b', 'secret');
});
afterAll(async () => {
  await local?.close();
});

/** A raw HTTP request, for what fetch will not send: doubled headers, bytes that are not UTF-8. */
function raw(path: string, headers: [string, string][], body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, local.url);
    // A name given twice becomes an array: Node sends it as two header lines.
    const grouped: Record<string, string[]> = {};
    for (const [name, value] of headers) (grouped[name] ??= []).push(value);
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', headers: grouped });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('isolation between projects', () => {
  it('keeps every read endpoint to the key’s own project', async () => {
    const now = Date.now();
    await request(`${local.url}/v1/batch`, {
      key: DemoProject.writeKey,
      body: { events: [{ event: 'a_only', deviceId: 'a-device', timestamp: new Date(now).toISOString() }, { deviceId: 'a-bad-row' }] },
    });
    await eventually(
      () => request(`${local.url}/v1/events?event=a_only`, { key: DemoProject.secretKey }),
      (r) => r.body.events?.length === 1,
    );
    const from = new Date(now - 86_400_000).toISOString();
    const to = new Date(now + 86_400_000).toISOString();
    const asB = (path: string) => request(`${local.url}${path}`, { key: B.secret });
    expect((await asB(`/v1/events?from=${from}&to=${to}`)).body.events).toEqual([]);
    expect((await asB(`/v1/aggregates?from=${from}&to=${to}`)).body.series).toEqual([]);
    expect((await asB(`/v1/rejections?from=${from}&to=${to}`)).body.rejections).toEqual([]);
    expect((await asB(`/v1/sessions?from=${from}&to=${to}`)).body).toMatchObject({ total: { sessions: 0 }, sessions: [] });
    expect(
      (await request(`${local.url}/v1/sessions?from=${from}&to=${to}&deviceId=a-device`, { key: DemoProject.secretKey })).body.total
        .sessions,
    ).toBe(1);
    expect((await asB('/v1/devices/a-device')).status).toBe(404);
    expect(
      (await request(`${local.url}/v1/rejections?from=${from}&to=${to}`, { key: DemoProject.secretKey })).body.rejections.length,
    ).toBeGreaterThan(0);
  });

  it('never takes a write key for a read, nor a secret key for a write, nor a revoked key at all', async () => {
    for (const path of ['/v1/events', '/v1/aggregates?from=2024-01-01&to=2024-01-02', '/v1/rejections', '/v1/sessions', '/v1/devices/x']) {
      expect((await request(`${local.url}${path}`, { key: B.write })).status).toBe(403);
    }
    for (const path of ['/v1/batch', '/v1/track']) {
      expect((await request(`${local.url}${path}`, { key: B.secret, body: { event: 'x', deviceId: 'd' } })).status).toBe(403);
    }
    expect((await request(`${local.url}/v1/import`, { key: B.write, body: [{ event: 'x', deviceId: 'd' }] })).status).toBe(403);
    expect((await request(`${local.url}/v1/events`, { headers: { authorization: 'Bearer ' } })).status).toBe(401);
  });
});

describe('hostile requests', () => {
  const auth: [string, string] = ['authorization', `Basic ${Buffer.from(`${DemoProject.writeKey}:`).toString('base64')}`];
  const json: [string, string] = ['content-type', 'application/json'];

  it('reads invalid UTF-8 as replacement characters and lands the row', async () => {
    const body = Buffer.concat([
      Buffer.from('{"events":[{"event":"utf8_bad","deviceId":"u","note":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}]}'),
    ]);
    const reply = await raw('/v1/batch', [auth, json], body);
    expect(reply.status).toBe(202);
    expect(JSON.parse(reply.body).accepted).toBe(1);
  });

  it('takes the first of doubled headers and answers 4xx for conflicting or missing content types', async () => {
    const doubled = await raw(
      '/v1/batch',
      [auth, auth, json, ['content-type', 'text/csv']],
      Buffer.from('{"events":[{"event":"dbl","deviceId":"d"}]}'),
    );
    expect(doubled.status).toBe(202);
    const wrong = await raw('/v1/batch', [auth, ['content-type', 'application/xml']], Buffer.from('<events/>'));
    expect(wrong.status).toBe(415);
  });

  it('stores deep nesting as text, rejects an oversized row alone, and the good row beside them lands', async () => {
    const deep = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
    const body = `{"events":[{"event":"deep","deviceId":"d","properties":${deep}},{"event":"huge","deviceId":"d","s":"${'x'.repeat(70_000)}"},{"event":"beside_hostile","deviceId":"d","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}]}`;
    const reply = await raw('/v1/batch', [auth, json], Buffer.from(body));
    expect(reply.status).toBeLessThan(500);
    const parsed = JSON.parse(reply.body);
    expect(reply.status).toBe(202);
    expect(parsed.accepted).toBe(2);
    expect(parsed.rejected).toEqual([expect.objectContaining({ index: 1, reason: 'too_large' })]);
    const stored = await eventually(
      () => request(`${local.url}/v1/events?deviceId=d`, { key: DemoProject.secretKey }),
      (r) =>
        r.body.events?.some((e: { event: string }) => e.event === 'deep') &&
        r.body.events?.some((e: { event: string }) => e.event === 'beside_hostile'),
    );
    const deepEvent = stored.body.events.find((e: { event: string }) => e.event === 'deep');
    expect(JSON.stringify(deepEvent.properties).length).toBeGreaterThan(15_000);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const deeper = await raw('/v1/batch', [auth, json], Buffer.from(`{"events":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}`));
    expect(deeper.status).toBe(202);
    expect(JSON.parse(deeper.body).rejected).toEqual([expect.objectContaining({ index: 0, reason: 'validation' })]);
  });
});
