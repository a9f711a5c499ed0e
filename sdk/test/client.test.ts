import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Tidemark, type TidemarkOptions, type TransportResponse } from '../src/client.js';
import { classifyFailure, type TidemarkError } from '../src/errors.js';
import { memoryStorage } from '../src/storage/memory.js';

type Sent = { events: { eventId: string; event: string; timestamp: string; properties: Record<string, unknown> }[]; sentAt: string };

/** A scripted server: answers from `replies` in turn (then 202 for everything), records every body. */
function fakeServer(replies: ((sent: Sent) => Partial<TransportResponse> & { body?: unknown })[] = []) {
  const requests: Sent[] = [];
  const transport = vi.fn(async (_url: string, init: { body: string | Uint8Array }) => {
    const sent = JSON.parse(String(init.body)) as Sent;
    requests.push(sent);
    const reply = replies.shift()?.(sent) ?? { status: 202, body: { accepted: sent.events.length, rejected: [] } };
    return {
      status: reply.status ?? 202,
      headers: reply.headers ?? { get: () => null },
      json: async () => reply.body ?? {},
    } as TransportResponse;
  });
  return { transport, requests };
}

const options = (overrides: Partial<TidemarkOptions> = {}): TidemarkOptions => ({
  endpoint: 'http://tidemark.test',
  writeKey: 'wk',
  storage: memoryStorage(),
  gzip: false,
  flushAt: 1000,
  flushIntervalMs: 60_000,
  random: () => 0.5,
  ...overrides,
});

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2024-05-01T12:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('tracking', () => {
  it('stamps a UUIDv7 id and the time of the call, and keeps both across retries', async () => {
    const server = fakeServer([() => ({ status: 503 })]);
    const client = new Tidemark(options({ transport: server.transport }));
    const id = await client.track('purchase', { sku: 'a' });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    vi.setSystemTime(new Date('2024-05-01T12:05:00Z'));
    await client.flush();
    await vi.advanceTimersByTimeAsync(2000);
    await client.flush();
    expect(server.requests).toHaveLength(2);
    for (const sent of server.requests)
      expect(sent.events[0]).toMatchObject({ eventId: id, event: 'purchase', timestamp: '2024-05-01T12:00:00.000Z' });
    expect(server.requests[0]!.sentAt).not.toBe(server.requests[1]!.sentAt);
    await client.shutdown();
  });

  it('sends identify and screen, with the user id on later events', async () => {
    const server = fakeServer();
    const client = new Tidemark(options({ transport: server.transport }));
    await client.identify('user-1', { plan: 'pro' });
    await client.screen('Home');
    await client.flush();
    const events = server.requests[0]!.events as unknown as Record<string, unknown>[];
    expect(events[0]).toMatchObject({ event: 'identify', userId: 'user-1', properties: { traits: { plan: 'pro' } } });
    expect(events[1]).toMatchObject({ event: 'screen', userId: 'user-1', properties: { name: 'Home' } });
    const before = client.deviceId;
    await client.reset();
    expect(client.deviceId).not.toBe(before);
    await client.shutdown();
  });
});

describe('the persistent queue', () => {
  it('survives a restart', async () => {
    const storage = memoryStorage();
    const offline = new Tidemark(options({ storage, transport: fakeServer().transport, isOnline: () => false }));
    await offline.track('a');
    await offline.track('b');
    await offline.shutdown();
    const server = fakeServer();
    const restarted = new Tidemark(options({ storage, transport: server.transport }));
    await restarted.ready();
    expect(restarted.queued).toBe(2);
    expect(restarted.deviceId).toBe(offline.deviceId);
    await restarted.flush();
    expect(server.requests[0]!.events.map((e) => e.event)).toEqual(['a', 'b']);
    expect(restarted.queued).toBe(0);
    await restarted.shutdown();
  });

  it('is bounded by count and bytes, dropping the oldest and counting them', async () => {
    const client = new Tidemark(options({ maxQueueEvents: 3, transport: fakeServer().transport, isOnline: () => false }));
    for (const name of ['1', '2', '3', '4', '5']) await client.track(name);
    expect(client.queued).toBe(3);
    expect(client.dropped).toBe(2);
    const small = new Tidemark(options({ maxQueueBytes: 600, transport: fakeServer().transport, isOnline: () => false }));
    for (let i = 0; i < 5; i++) await small.track('e', { pad: 'x'.repeat(100) });
    expect(small.queued).toBeLessThan(5);
    expect(small.dropped).toBe(5 - small.queued);
    await client.shutdown();
    await small.shutdown();
  });

  it('never duplicates an event in storage when the app dies between send and acknowledgement', async () => {
    const storage = memoryStorage();
    const received = new Set<string>();
    let stored = 0;
    // The server stores (dedup by event id) but the app dies before it hears the answer.
    const dying = vi.fn(async (_url: string, init: { body: string | Uint8Array }) => {
      for (const e of (JSON.parse(String(init.body)) as Sent).events)
        if (!received.has(e.eventId)) {
          received.add(e.eventId);
          stored++;
        }
      throw new Error('app killed');
    });
    const first = new Tidemark(options({ storage, transport: dying }));
    for (let i = 0; i < 5; i++) await first.track('tap');
    await first.flush();
    await first.shutdown();
    const onStorage = await storage.queue.load();
    expect(onStorage).toHaveLength(5);
    expect(new Set(onStorage.map((e) => e.eventId)).size).toBe(5);

    const server = fakeServer();
    const second = new Tidemark(options({ storage, transport: server.transport }));
    await second.flush();
    const resent = server.requests.flatMap((r) => r.events.map((e) => e.eventId));
    expect(new Set(resent)).toEqual(received);
    for (const id of resent) if (!received.has(id)) stored++;
    expect(stored).toBe(5);
    await second.shutdown();
  });
});

describe('batching', () => {
  it('sends when flushAt events are queued and on the interval', async () => {
    const server = fakeServer();
    const client = new Tidemark(options({ transport: server.transport, flushAt: 3, flushIntervalMs: 5000 }));
    await client.track('a');
    await client.track('b');
    expect(server.requests).toHaveLength(0);
    await client.track('c');
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    await client.track('d');
    await vi.advanceTimersByTimeAsync(5000);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.events.map((e) => e.event)).toEqual(['d']);
    await client.shutdown();
  });

  it('splits by batch size and bytes', async () => {
    const server = fakeServer();
    const client = new Tidemark(options({ transport: server.transport, batchSize: 2, maxBatchBytes: 100_000 }));
    for (let i = 0; i < 5; i++) await client.track(`e${i}`);
    await client.flush();
    expect(server.requests.map((r) => r.events.length)).toEqual([2, 2, 1]);
    await client.shutdown();
  });

  it('gzips bodies where the platform can', async () => {
    let encoding: string | undefined;
    let body: unknown;
    const client = new Tidemark(
      options({
        gzip: true,
        transport: async (_url, init) => {
          encoding = init.headers['content-encoding'];
          body = init.body;
          return { status: 202, headers: { get: () => null }, json: async () => ({ rejected: [] }) };
        },
      }),
    );
    await client.track('zipped');
    await client.flush();
    expect(encoding).toBe('gzip');
    const { gunzipSync } = await import('node:zlib');
    expect(JSON.parse(gunzipSync(body as Uint8Array).toString()).events[0].event).toBe('zipped');
    await client.shutdown();
  });
});

describe('the retry contract', () => {
  it('drops rows rejected for good (reported to onError) and keeps retryable ones', async () => {
    const errors: TidemarkError[] = [];
    const server = fakeServer([
      () => ({
        status: 202,
        body: {
          accepted: 1,
          rejected: [
            { index: 1, reason: 'validation', error: 'bad', retryable: false },
            { index: 2, reason: 'internal', error: 'again', retryable: true },
          ],
        },
      }),
    ]);
    const client = new Tidemark(options({ transport: server.transport, onError: (e) => errors.push(e) }));
    const ids = [await client.track('ok'), await client.track('bad'), await client.track('retry')];
    await client.flush();
    expect(client.queued).toBe(1);
    expect(errors).toEqual([{ kind: 'rejected', message: 'validation: bad', eventIds: [ids[1]] }]);
    await vi.advanceTimersByTimeAsync(1500);
    expect(server.requests[1]!.events.map((e) => e.eventId)).toEqual([ids[2]]);
    expect(client.queued).toBe(0);
    await client.shutdown();
  });

  it('backs off exponentially with jitter on 5xx, 408 and network errors', async () => {
    const server = fakeServer([() => ({ status: 500 }), () => ({ status: 408 }), () => ({ status: 502 })]);
    const random = vi.fn(() => 0.25);
    const client = new Tidemark(options({ transport: server.transport, random, minBackoffMs: 1000 }));
    await client.track('x');
    await client.flush();
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(749); // 1000 ms x (0.5 + 0.25)
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1499); // 2000 ms x 0.75
    expect(server.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.requests).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(3000);
    expect(server.requests).toHaveLength(4);
    expect(client.queued).toBe(0);
    await client.shutdown();
  });

  it('waits what Retry-After says on 429', async () => {
    const server = fakeServer([() => ({ status: 429, headers: { get: (name: string) => (name === 'retry-after' ? '7' : null) } })]);
    const client = new Tidemark(options({ transport: server.transport }));
    await client.track('x');
    await client.flush();
    await vi.advanceTimersByTimeAsync(6999);
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.requests).toHaveLength(2);
    await client.shutdown();
  });

  it('halves the batch on 413, and drops a single event the API will never take', async () => {
    const errors: TidemarkError[] = [];
    const server = fakeServer([
      () => ({ status: 413 }),
      () => ({ status: 413 }),
      (sent) => (sent.events.length === 1 ? { status: 413 } : { status: 202 }),
    ]);
    const client = new Tidemark(options({ transport: server.transport, batchSize: 8, onError: (e) => errors.push(e) }));
    for (let i = 0; i < 8; i++) await client.track(`e${i}`);
    await client.flush();
    expect(server.requests.map((r) => r.events.length).slice(0, 3)).toEqual([8, 4, 2]);
    expect(client.queued).toBe(0);
    expect(errors).toEqual([]);

    const lone = fakeServer([() => ({ status: 413 })]);
    const single = new Tidemark(options({ transport: lone.transport, onError: (e) => errors.push(e) }));
    const id = await single.track('huge');
    await single.track('fine');
    await single.flush();
    expect(lone.requests.map((r) => r.events.length)).toEqual([2, 1, 1]);
    expect(single.queued).toBe(0);
    await client.shutdown();
    await single.shutdown();
    expect(id).toBeTruthy();
  });

  it('pauses on 401 without dropping anything', async () => {
    const errors: TidemarkError[] = [];
    const server = fakeServer([() => ({ status: 401 })]);
    const client = new Tidemark(options({ transport: server.transport, onError: (e) => errors.push(e) }));
    await client.track('x');
    await client.flush();
    expect(client.queued).toBe(1);
    expect(errors[0]!.kind).toBe('auth');
    await vi.advanceTimersByTimeAsync(30_000); // no backoff retry while paused
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30_000); // the interval flush tries again: the key may have been fixed
    expect(server.requests).toHaveLength(2);
    expect(client.queued).toBe(0);
    await client.shutdown();
  });

  it('does not send while offline, and sends when back online', async () => {
    const server = fakeServer();
    let online = false;
    const client = new Tidemark(options({ transport: server.transport, isOnline: () => online }));
    await client.track('x');
    await client.flush();
    expect(server.requests).toHaveLength(0);
    online = true;
    client.setOnline(true);
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    await client.shutdown();
  });
});

describe('flush and going online', () => {
  it('flush() sends at once, cancelling a pending backoff', async () => {
    const server = fakeServer([() => ({ status: 503 }), () => ({ status: 503 }), () => ({ status: 503 })]);
    const client = new Tidemark(options({ transport: server.transport, minBackoffMs: 60_000, maxBackoffMs: 60_000 }));
    await client.track('x');
    await client.flush();
    await client.flush();
    await client.flush();
    expect(server.requests).toHaveLength(3);
    await client.flush(); // the fake server now accepts
    expect(server.requests).toHaveLength(4);
    expect(client.queued).toBe(0);
    await vi.advanceTimersByTimeAsync(120_000); // the cancelled timers never fire a send
    expect(server.requests).toHaveLength(4);
    await client.shutdown();
  });

  it('going online sends at once, cancelling a pending backoff', async () => {
    const server = fakeServer([
      () => {
        throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENETUNREACH' } });
      },
    ]);
    const client = new Tidemark(options({ transport: server.transport, minBackoffMs: 60_000 }));
    await client.track('x');
    await client.flush();
    client.setOnline(false);
    client.setOnline(true);
    await vi.waitFor(() => expect(server.requests).toHaveLength(2));
    await vi.waitFor(() => expect(client.queued).toBe(0));
    await client.shutdown();
  });

  it('the automatic triggers (flushAt, interval) respect a pending backoff', async () => {
    const server = fakeServer([() => ({ status: 500 })]);
    const client = new Tidemark(
      options({ transport: server.transport, flushAt: 1, flushIntervalMs: 1000, minBackoffMs: 10_000, random: () => 0.5 }),
    );
    await client.track('a');
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    await client.track('b');
    await vi.advanceTimersByTimeAsync(9_900); // ten interval ticks and a flushAt while the 10 s backoff runs
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(server.requests).toHaveLength(2);
    await vi.waitFor(() => expect(client.queued).toBe(0));
    await client.shutdown();
  });
});

describe('onError', () => {
  const failing = (error: unknown) =>
    fakeServer([
      () => {
        throw error;
      },
    ]);
  it.each([
    [
      'dns',
      Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' }),
      }),
    ],
    [
      'network',
      Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }),
    ],
    ['network', new TypeError('Network request failed')],
  ])('reports a failed request as %s and keeps the events', async (kind, error) => {
    const errors: TidemarkError[] = [];
    const client = new Tidemark(options({ transport: failing(error).transport, onError: (e) => errors.push(e) }));
    await client.track('x');
    await client.flush();
    expect(errors.map((e) => e.kind)).toEqual([kind]);
    expect(errors[0]!.cause).toBe(error);
    expect(client.queued).toBe(1);
    await client.shutdown();
  });

  it('tells CORS from network in a browser by whether a no-cors probe of the endpoint gets through', async () => {
    const opaque = new TypeError('Failed to fetch');
    expect(await classifyFailure(opaque, async () => true)).toBe('cors');
    expect(await classifyFailure(opaque, async () => false)).toBe('network');
    expect(await classifyFailure(opaque, async () => Promise.reject(new TypeError('Failed to fetch')))).toBe('network');
    expect(await classifyFailure(opaque, undefined)).toBe('network');
  });

  it.each([500, 502, 503, 408])('reports %i as a server failure and retries', async (status) => {
    const errors: TidemarkError[] = [];
    const server = fakeServer([() => ({ status })]);
    const client = new Tidemark(options({ transport: server.transport, onError: (e) => errors.push(e) }));
    await client.track('x');
    await client.flush();
    expect(errors).toMatchObject([{ kind: 'server', status }]);
    await client.flush();
    expect(client.queued).toBe(0);
    await client.shutdown();
  });

  it('reports a whole request refused with another 4xx and pauses without dropping', async () => {
    const errors: TidemarkError[] = [];
    const server = fakeServer([() => ({ status: 404 })]);
    const client = new Tidemark(options({ transport: server.transport, onError: (e) => errors.push(e) }));
    await client.track('x');
    await client.flush();
    expect(errors).toMatchObject([{ kind: 'refused', status: 404 }]);
    expect(client.queued).toBe(1);
    await client.shutdown();
  });
});

describe('attempts per row', () => {
  const retryableFor = (bad: Set<string>) => (sent: Sent) => ({
    status: 202,
    body: {
      accepted: 0,
      rejected: sent.events.flatMap((e, index) =>
        bad.has(e.eventId) ? [{ index, reason: 'internal', error: 'try again', retryable: true }] : [],
      ),
    },
  });

  it('drops a row rejected as retryable maxAttempts times, reports it, and the rows behind it go through', async () => {
    const errors: TidemarkError[] = [];
    const bad = new Set<string>();
    const server = fakeServer(Array.from({ length: 50 }, () => retryableFor(bad)));
    const client = new Tidemark(options({ transport: server.transport, maxAttempts: 3, batchSize: 2, onError: (e) => errors.push(e) }));
    bad.add(await client.track('poison'));
    const good = [await client.track('a'), await client.track('b')];
    for (let i = 0; i < 3; i++) await client.flush();
    expect(errors).toMatchObject([{ kind: 'dropped', eventIds: [...bad] }]);
    expect(client.queued).toBe(0);
    const delivered = server.requests.flatMap((r) => r.events.map((e) => e.eventId)).filter((id) => !bad.has(id));
    expect(new Set(delivered)).toEqual(new Set(good));
    expect(server.requests.filter((r) => r.events.some((e) => bad.has(e.eventId)))).toHaveLength(3);
    await client.shutdown();
  });

  it('never counts an outage against a row: 5xx and network failures keep every event', async () => {
    const server = fakeServer([...Array.from({ length: 30 }, () => () => ({ status: 503 }))]);
    const client = new Tidemark(options({ transport: server.transport, maxAttempts: 2 }));
    await client.track('x');
    for (let i = 0; i < 30; i++) await client.flush();
    expect(client.queued).toBe(1);
    await client.flush();
    expect(client.queued).toBe(0);
    await client.shutdown();
  });

  it('does not retry rows rejected for good (4xx reasons)', async () => {
    const server = fakeServer([
      (sent) => ({
        status: 202,
        body: {
          accepted: 0,
          rejected: sent.events.map((_, index) => ({ index, reason: 'too_old', error: 'older than 5 days', retryable: false })),
        },
      }),
    ]);
    const client = new Tidemark(options({ transport: server.transport }));
    await client.track('old', {}, { timestamp: new Date('2024-04-01T00:00:00Z') });
    await client.flush();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.requests).toHaveLength(1);
    expect(client.queued).toBe(0);
    await client.shutdown();
  });
});

describe('the event model', () => {
  it('sends value and source set per client and per call, promoting value-named properties as the API does for Segment rows', async () => {
    const server = fakeServer();
    const client = new Tidemark(options({ transport: server.transport, source: 'ios' }));
    await client.track('purchase', { sku: 'A-1', value: 12.5 });
    await client.track('purchase', { revenue: '7.25' });
    await client.track('purchase', { price: 3, quantity: 2 });
    await client.track('purchase', { value: 'n/a', total: 4 });
    await client.track('purchase', { value: 99 }, { value: 1, source: 'web' });
    await client.track('view');
    await client.flush();
    const sent = server.requests[0]!.events as unknown as Record<string, unknown>[];
    expect(sent.map((e) => [e.value, e.source])).toEqual([
      [12.5, 'ios'],
      [7.25, 'ios'],
      [2, 'ios'],
      [4, 'ios'],
      [1, 'web'],
      [undefined, 'ios'],
    ]);
    expect(sent[0]!.properties).toEqual({ sku: 'A-1', value: 12.5 });
    await client.shutdown();
  });
});
