import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Tidemark, type TidemarkOptions } from '../src/client.js';
import { memoryStorage } from '../src/storage/memory.js';
import type { TidemarkStorage } from '../src/storage/types.js';

type Sent = { events: { eventId: string; event: string; sessionId?: string }[] };

const MINUTE = 60_000;

function recordingServer(failFirst = 0) {
  const requests: Sent[] = [];
  let failures = failFirst;
  const transport = vi.fn(async (_url: string, init: { body: string | Uint8Array }) => {
    const sent = JSON.parse(String(init.body)) as Sent;
    requests.push(sent);
    const status = failures-- > 0 ? 503 : 202;
    return { status, headers: { get: () => null }, json: async () => ({ accepted: sent.events.length, rejected: [] }) };
  });
  return { transport, requests, sessionOf: (event: string) => requests.flatMap((r) => r.events).find((e) => e.event === event)?.sessionId };
}

/** An app run: a client on `storage`, shut down (timers stopped, state saved) by `close`. */
const app = (storage: TidemarkStorage, transport: TidemarkOptions['transport'], overrides: Partial<TidemarkOptions> = {}) =>
  new Tidemark({
    endpoint: 'http://tidemark.test',
    writeKey: 'wk',
    storage,
    transport,
    gzip: false,
    flushAt: 1000,
    flushIntervalMs: 3_600_000,
    ...overrides,
  });

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2024-05-01T10:25:00Z'));
});
afterEach(() => vi.useRealTimers());

describe('SDK sessions', () => {
  it('continues a session across an app restart within 30 minutes of inactivity', async () => {
    const storage = memoryStorage();
    const server = recordingServer();
    const first = app(storage, server.transport);
    await first.track('open');
    vi.advanceTimersByTime(10 * MINUTE);
    await first.track('browse');
    await first.shutdown();

    vi.advanceTimersByTime(29 * MINUTE); // the app is closed for 29 minutes
    const second = app(storage, server.transport);
    await second.track('resume');
    await second.shutdown();
    expect(server.sessionOf('open')).toBeDefined();
    expect(server.sessionOf('browse')).toBe(server.sessionOf('open'));
    expect(server.sessionOf('resume')).toBe(server.sessionOf('open'));
  });

  it('ends the session after 30 minutes of inactivity, across a restart or not', async () => {
    const storage = memoryStorage();
    const server = recordingServer();
    const first = app(storage, server.transport);
    await first.track('open');
    vi.advanceTimersByTime(30 * MINUTE);
    await first.track('later');
    await first.shutdown();

    vi.advanceTimersByTime(31 * MINUTE);
    const second = app(storage, server.transport);
    await second.track('next-day');
    await second.shutdown();
    const ids = ['open', 'later', 'next-day'].map(server.sessionOf);
    expect(new Set(ids).size).toBe(3);
  });

  it('takes the inactivity timeout from the options', async () => {
    const server = recordingServer();
    const client = app(memoryStorage(), server.transport, { sessionTimeoutMs: 5 * MINUTE });
    await client.track('a');
    vi.advanceTimersByTime(4 * MINUTE);
    await client.track('b');
    vi.advanceTimersByTime(5 * MINUTE);
    await client.track('c');
    await client.shutdown();
    expect(server.sessionOf('b')).toBe(server.sessionOf('a'));
    expect(server.sessionOf('c')).not.toBe(server.sessionOf('b'));
  });

  it('splits a session that would last longer than the maximum, however busy', async () => {
    const server = recordingServer();
    const client = app(memoryStorage(), server.transport, { maxSessionLengthMs: 24 * 60 * MINUTE });
    for (let minute = 0; minute <= 25 * 60; minute += 10) {
      await client.track(`t${minute}`);
      vi.advanceTimersByTime(10 * MINUTE);
    }
    await client.shutdown();
    const at = (minute: number) => server.sessionOf(`t${minute}`);
    expect(at(24 * 60 - 10)).toBe(at(0));
    expect(at(24 * 60)).not.toBe(at(0));
    expect(at(25 * 60)).toBe(at(24 * 60));
  });

  it("keeps an event's session id when it is resent, even after the session has ended", async () => {
    const storage = memoryStorage();
    const server = recordingServer(3);
    const client = app(storage, server.transport, { minBackoffMs: 1000 });
    await client.track('tap');
    await client.flush();
    await client.flush();
    vi.advanceTimersByTime(2 * 60 * MINUTE);
    await client.track('much-later');
    await client.flush();
    await client.flush();
    await client.shutdown();
    const taps = server.requests.flatMap((r) => r.events).filter((e) => e.event === 'tap');
    expect(taps).toHaveLength(4);
    expect(new Set(taps.map((e) => e.sessionId)).size).toBe(1);
    expect(server.sessionOf('much-later')).not.toBe(taps[0]!.sessionId);
  });

  it('gives a backdated event from before the current session no session id, and a call may set its own', async () => {
    const server = recordingServer();
    const client = app(memoryStorage(), server.transport);
    await client.track('now');
    await client.track('yesterday', {}, { timestamp: new Date(Date.now() - 86_400_000) });
    await client.track('mine', {}, { sessionId: 'checkout-42' });
    await client.shutdown();
    expect(server.sessionOf('now')).toBeDefined();
    expect(server.sessionOf('yesterday')).toBeUndefined();
    expect(server.sessionOf('mine')).toBe('checkout-42');
  });

  it('starts a new session on reset()', async () => {
    const server = recordingServer();
    const client = app(memoryStorage(), server.transport);
    await client.track('before');
    await client.reset();
    await client.track('after');
    await client.shutdown();
    expect(server.sessionOf('after')).not.toBe(server.sessionOf('before'));
  });
});
