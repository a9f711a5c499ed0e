/** The batch ingestion API through the local runtime, against fauxqs and DynamoDB Local. */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoProject, dayRange, eventually, request, startLocal, type LocalHarness } from '../helpers/local.js';

let local: LocalHarness;
beforeAll(async () => {
  local = await startLocal();
});
afterAll(async () => {
  await local?.close();
});

const batch = (body: unknown, opts: { gzip?: boolean; path?: string; key?: string; headers?: Record<string, string> } = {}) =>
  request(`${local.url}${opts.path ?? '/v1/batch'}`, { key: opts.key ?? DemoProject.writeKey, body, ...opts });

const countOf = async (event: string, days = 6) => {
  const to = new Date(Date.now() + 86_400_000);
  const from = new Date(to.getTime() - days * 86_400_000);
  const reply = await request(
    `${local.url}/v1/aggregates?event=${event}&from=${dayRange(from).from}&to=${dayRange(to).from}&granularity=day`,
    { key: DemoProject.secretKey },
  );
  return (reply.body.series as { count: number }[]).reduce((sum, point) => sum + point.count, 0);
};

describe('POST /v1/batch', () => {
  it('accepts a 2000-event batch spanning 5 days and 20 devices, packed into few messages, and stores every row', {
    timeout: 240_000,
  }, async () => {
    const now = Date.now();
    const events = Array.from({ length: 2000 }, (_, i) => ({
      event: 'span',
      deviceId: `span-device-${i % 20}`,
      timestamp: new Date(now - Math.floor((i / 2000) * 4.9 * 86_400_000)).toISOString(),
      properties: { i },
    }));
    const before = local.calls.requests['sqs.SendMessageBatch'] ?? 0;
    const reply = await batch({ events });
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({ accepted: 2000, rejected: [] });
    // 20 devices, so 20 messages at least; 10 entries a request: a couple of SendMessageBatch calls, not thousands.
    expect((local.calls.requests['sqs.SendMessageBatch'] ?? 0) - before).toBeLessThanOrEqual(4);
    // ~2000 sessions (100 events a device over 235 half hours): thousands of writes on DynamoDB Local.
    await eventually(
      () => countOf('span'),
      (count) => count === 2000,
      220_000,
    );
  });

  it('accepts Segment/RudderStack batches with Basic auth and gzip', async () => {
    const body = {
      batch: [
        {
          type: 'track',
          event: 'seg_gzip',
          anonymousId: 'seg-1',
          messageId: 'seg-m1',
          timestamp: new Date().toISOString(),
          properties: { revenue: 3 },
        },
        { type: 'screen', name: 'Home', anonymousId: 'seg-1', messageId: 'seg-m2' },
        { type: 'alias', previousId: 'a', userId: 'b' },
      ],
      sentAt: new Date().toISOString(),
    };
    const reply = await batch(body, { gzip: true });
    expect(reply.status).toBe(202);
    expect(reply.body.accepted).toBe(2);
    expect(reply.body.rejected).toEqual([{ index: 2, reason: 'unsupported', error: expect.stringContaining('alias'), retryable: false }]);
    await eventually(
      () => countOf('seg_gzip'),
      (count) => count === 1,
    );
  });

  it('answers 400 for 2001 events, naming the limit', async () => {
    const reply = await batch({ events: Array.from({ length: 2001 }, (_, i) => ({ event: 'x', deviceId: `d${i}` })) });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'too_many_events', message: expect.stringContaining('2000') });
  });

  it('answers 413 for an 11 MB body, naming the limit', async () => {
    const reply = await batch(`{"events":[{"event":"x","deviceId":"d","blob":"${'x'.repeat(11 * 1024 * 1024)}"}]}`);
    expect(reply.status).toBe(413);
    expect(reply.body.message).toContain('maxRequestBytes');
  });

  it('answers 413 for a gzip body that inflates past 10 MB', async () => {
    const reply = await batch(`{"events":[{"event":"x","deviceId":"d","blob":"${'x'.repeat(10 * 1024 * 1024)}"}]}`, { gzip: true });
    expect(reply.status).toBe(413);
  });

  it('answers 400 for a body that is not JSON, 415 for an unknown content type, 401 without a key', async () => {
    expect((await batch('{not json')).status).toBe(400);
    expect((await batch('a,b', { headers: { 'content-type': 'text/csv' } })).status).toBe(415);
    expect((await request(`${local.url}/v1/batch`, { body: { events: [] } })).status).toBe(401);
  });

  it('rejects bad rows one by one, lands the good ones, and keeps the rejections for audit', async () => {
    const reply = await batch({
      events: [
        { event: 'mixed_ok', deviceId: 'mixed-1' },
        { deviceId: 'no-event', context: { ip: '198.51.100.23' } },
        { event: 'mixed_ok', deviceId: 'mixed-2', timestamp: '2020-01-01T00:00:00Z' },
        { event: 'mixed_ok', deviceId: 'mixed-3', value: 'lots' },
        { event: 'mixed_ok', deviceId: 'mixed-4' },
        { event: '$session_start', deviceId: 'mixed-5' },
      ],
    });
    expect(reply.status).toBe(202);
    expect(reply.body.accepted).toBe(2);
    expect(reply.body.rejected.map((r: { index: number; reason: string }) => [r.index, r.reason])).toEqual([
      [1, 'validation'],
      [2, 'too_old'],
      [3, 'validation'],
      [5, 'validation'],
    ]);
    expect(reply.body.rejected[3].error).toContain('reserved');
    await eventually(
      () => countOf('mixed_ok'),
      (count) => count === 2,
    );
    const audit = await request(`${local.url}/v1/rejections`, { key: DemoProject.secretKey });
    expect(audit.status).toBe(200);
    const rows = audit.body.rejections.filter((r: { row: string }) => r.row.includes('mixed-') || r.row.includes('no-event'));
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatchObject({ reason: expect.any(String), error: expect.any(String), requestId: expect.any(String) });
    // Kept as sent, less the raw IP.
    const noEvent = rows.find((r: { row: string }) => r.row.includes('no-event'));
    expect(JSON.parse(noEvent.row)).toEqual({ deviceId: 'no-event', context: {} });
  });

  it('validates without enqueueing on ?validate=true', async () => {
    const reply = await batch({ events: [{ event: 'dry_run', deviceId: 'dry' }, { deviceId: 'x' }] }, { path: '/v1/batch?validate=true' });
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ accepted: 1, rejected: [{ index: 1, reason: 'validation' }] });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await countOf('dry_run')).toBe(0);
  });
});

describe('POST /v1/import', () => {
  // Counting waits behind whatever the file's earlier tests queued: on a loaded 2-core CI machine that took over 30 s once.
  it('takes old rows with the secret key and refuses the write key', { timeout: 150_000 }, async () => {
    const row = { source: 'client_A', payload: { metric: 'import_purchase', amount: '1200', timestamp: '2024/01/01' } };
    expect((await batch([row], { path: '/v1/import' })).status).toBe(403);
    const reply = await batch([row], { path: '/v1/import', key: DemoProject.secretKey });
    expect(reply.body).toEqual({ accepted: 1, rejected: [] });
    const counted = await eventually(
      () =>
        request(`${local.url}/v1/aggregates?event=import_purchase&from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z`, {
          key: DemoProject.secretKey,
        }),
      (r) => r.body.series?.length === 1,
      90_000,
    );
    expect(counted.body.series[0]).toMatchObject({ count: 1, sum: 1200 });
    expect((await batch([row])).body.rejected[0].reason).toBe('too_old');
  });

  it("answers 400 invalid_received_at for a receivedAt ahead of the server's clock or not a time; /v1/batch ignores the field", async () => {
    const events = [{ event: 'receipt_check', deviceId: 'receipt-device', timestamp: new Date().toISOString() }];
    for (const receivedAt of [new Date(Date.now() + 10 * 60_000).toISOString(), 'yesterday']) {
      const refused = await batch({ events, receivedAt }, { path: '/v1/import', key: DemoProject.secretKey });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: 'invalid_received_at' });
    }

    const claimed = '2020-01-01T00:00:00.000Z';
    const before = Date.now();
    expect((await batch({ events, receivedAt: claimed })).body).toEqual({ accepted: 1, rejected: [] });
    const { from, to } = dayRange(new Date(events[0]!.timestamp));
    const stored = await eventually(
      () => request(`${local.url}/v1/events?deviceId=receipt-device&from=${from}&to=${to}`, { key: DemoProject.secretKey }),
      (r) => r.body.events?.some((e: { event: string }) => e.event === 'receipt_check'),
    );
    const receipt = stored.body.events.find((e: { event: string }) => e.event === 'receipt_check');
    expect(Date.parse(receipt.receivedAt)).toBeGreaterThanOrEqual(before);
  });
});

describe('hostile bodies over HTTP', () => {
  it('never answers 5xx, and a valid row beside garbage always lands', { timeout: 240_000 }, async () => {
    const garbage = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.dictionary(
        fc.constantFrom('event', 'deviceId', 'value', 'timestamp', 'payload', '__proto__', 'constructor', 'type', 'context', 'properties'),
        fc.jsonValue({ maxDepth: 3 }),
      ),
    );
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(garbage, { maxLength: 8 }), fc.string({ maxLength: 40 }), async (rows, raw) => {
        const valid = { event: 'fuzz_ok', deviceId: 'fuzz-device', eventId: `fuzz-${sent++}` };
        const reply = await batch({ events: [...rows, valid] });
        expect(reply.status).toBe(202);
        expect(reply.body.rejected.find((r: { index: number }) => r.index === rows.length)).toBeUndefined();
        expect((await batch(raw)).status).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Every valid row is one device's: its messages are processed one after another (one FIFO group).
    await eventually(
      () => countOf('fuzz_ok'),
      (count) => count === sent,
      120_000,
    );
  });
});
