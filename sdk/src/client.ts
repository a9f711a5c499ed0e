/**
 * The Tidemark client. Every event gets a UUIDv7 id, its time and its session when it is tracked,
 * waits in a persistent queue, and leaves the queue only when the API has answered for it:
 *
 * - 2xx: accepted rows and rows rejected for good leave the queue (the latter reported to onError);
 *   rows rejected as retryable stay and are sent again, at most `maxAttempts` times, then they are
 *   reported as `dropped` and leave, so one row the API keeps failing never blocks the queue.
 * - 5xx, 408, network errors: exponential backoff with jitter, reported to onError with a kind.
 *   These never count against a row's attempts: an outage must not cost the queue its events.
 * - 429: wait what Retry-After says.
 * - 413 (or 400 for a batch the server will not read): halve the batch; a single event refused
 *   that way is dropped and reported, so one bad event never blocks the queue.
 * - 401/403 and other 4xx: sending pauses until the next flush; nothing is dropped.
 *
 * `flush()` and going online send at once, cancelling a pending backoff. `sentAt` is set at each
 * attempt, so the server's clock-skew correction uses the real send time.
 */
import type { IngestAnswer, Rejection } from './answers.js';
import { classifyFailure, TidemarkErrorKind, type TidemarkError } from './errors.js';
import { eventValue, type QueuedEvent } from './event.js';
import { PersistentQueue } from './queue.js';
import { SessionClock } from './session.js';
import type { TidemarkStorage } from './storage/types.js';
import { uuidv7 } from './uuid.js';
import { SDK_VERSION } from './version.js';

export type TransportResponse = { status: number; headers: { get(name: string): string | null }; json(): Promise<unknown> };
export type Transport = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string | Uint8Array },
) => Promise<TransportResponse>;

export type TidemarkOptions = {
  /** Base URL of the Tidemark API: the stage URL of a deployed stack, or http://127.0.0.1:3000 locally. */
  readonly endpoint: string;
  readonly writeKey: string;
  /** `indexedDbStorage()` in browsers, `fileStorage(dir)` in Node, `asyncStorage(AsyncStorage)` in React Native. */
  readonly storage: TidemarkStorage;
  /** Sent as `source` with every event unless a call sets its own (e.g. 'ios', 'web', 'kiosk-7'). */
  readonly source?: string;
  /** Events per request. @default 100 */
  readonly batchSize?: number;
  /** Bytes per request before compression. @default 512 KiB */
  readonly maxBatchBytes?: number;
  /** Send when this many events are queued. @default 20 */
  readonly flushAt?: number;
  /** Send at this interval, ms. @default 10000 */
  readonly flushIntervalMs?: number;
  /** Queue bound in events; the oldest are dropped first when full, and counted in `dropped`. @default 100000 */
  readonly maxQueueEvents?: number;
  /** Queue bound in bytes of JSON. @default the storage's own bound, below its platform's quota */
  readonly maxQueueBytes?: number;
  /** Backoff after a failed send, ms. @default 1000 to 60000 */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Times a row the API rejects as retryable is sent before it is dropped and reported. @default 10 */
  readonly maxAttempts?: number;
  /** Inactivity after which the next event starts a new session, ms. @default 30 minutes */
  readonly sessionTimeoutMs?: number;
  /** Longest a session may last, ms. @default 24 hours */
  readonly maxSessionLengthMs?: number;
  /** gzip bodies where the platform has CompressionStream. @default true */
  readonly gzip?: boolean;
  readonly deviceId?: string;
  readonly transport?: Transport;
  readonly onError?: (error: TidemarkError) => void;
  /** Whether the network is up; sending pauses while it says no. */
  readonly isOnline?: () => boolean;
  readonly random?: () => number;
};

export type TrackOptions = {
  /** When the event happened. @default now */
  readonly timestamp?: Date;
  /** The number summed for this event. @default the first number among properties value, amount, count, quantity, total, price, revenue */
  readonly value?: number;
  /** @default the client's `source` */
  readonly source?: string;
  /** @default the client's current session */
  readonly sessionId?: string;
};

type Outcome = 'continue' | 'stop';

type Defaults = {
  readonly [K in
    | 'batchSize'
    | 'maxBatchBytes'
    | 'flushAt'
    | 'flushIntervalMs'
    | 'maxQueueEvents'
    | 'minBackoffMs'
    | 'maxBackoffMs'
    | 'maxAttempts'
    | 'sessionTimeoutMs'
    | 'maxSessionLengthMs'
    | 'gzip']-?: NonNullable<TidemarkOptions[K]>;
};

const DEFAULTS: Defaults = {
  batchSize: 100,
  maxBatchBytes: 512 * 1024,
  flushAt: 20,
  flushIntervalMs: 10_000,
  maxQueueEvents: 100_000,
  minBackoffMs: 1000,
  maxBackoffMs: 60_000,
  maxAttempts: 10,
  sessionTimeoutMs: 30 * 60 * 1000,
  maxSessionLengthMs: 24 * 60 * 60 * 1000,
  gzip: true,
};

const DEVICE_ID_KEY = 'deviceId';
const USER_ID_KEY = 'userId';

export class Tidemark {
  readonly #options: Defaults &
    TidemarkOptions & { readonly maxQueueBytes: number; readonly transport: Transport; readonly random: () => number };
  readonly #queue: PersistentQueue;
  readonly #sessions: SessionClock;
  readonly #attempts = new Map<string, number>();
  #deviceId = '';
  #userId: string | undefined;
  #batchSize: number;
  #failures = 0;
  #paused = false;
  #online = true;
  #flushing: Promise<void> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #intervalTimer: ReturnType<typeof setInterval> | undefined;
  readonly #ready: Promise<void>;
  #closed = false;

  constructor(options: TidemarkOptions) {
    this.#options = {
      ...DEFAULTS,
      maxQueueBytes: options.storage.defaultMaxQueueBytes,
      transport: (url, init) => globalThis.fetch(url, init as RequestInit) as Promise<TransportResponse>,
      random: Math.random,
      ...withoutUndefined(options),
      endpoint: options.endpoint.replace(/\/$/, ''),
    };
    this.#batchSize = this.#options.batchSize;
    this.#queue = new PersistentQueue(options.storage.queue, {
      maxEvents: this.#options.maxQueueEvents,
      maxBytes: this.#options.maxQueueBytes,
    });
    this.#sessions = new SessionClock(options.storage.state, {
      timeoutMs: this.#options.sessionTimeoutMs,
      maxLengthMs: this.#options.maxSessionLengthMs,
    });
    this.#ready = this.#start(options.deviceId);
  }

  async #start(deviceId: string | undefined): Promise<void> {
    const state = this.#options.storage.state;
    await Promise.all([this.#queue.load(), this.#sessions.load()]);
    const stored = await state.getItem(DEVICE_ID_KEY);
    this.#deviceId = deviceId ?? stored ?? uuidv7();
    if (this.#deviceId !== stored) await state.setItem(DEVICE_ID_KEY, this.#deviceId);
    this.#userId = (await state.getItem(USER_ID_KEY)) ?? undefined;
    this.#intervalTimer = setInterval(() => {
      this.#paused = false;
      void this.#drainUnlessWaiting();
    }, this.#options.flushIntervalMs);
    (this.#intervalTimer as { unref?: () => void }).unref?.();
  }

  /** Resolves once the queue an earlier run left has been read. */
  ready(): Promise<void> {
    return this.#ready;
  }

  get deviceId(): string {
    return this.#deviceId;
  }

  /** Events waiting to be sent. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Events dropped because the queue was full, since this client started. */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /**
   * Records an event now; it is sent later, in a batch, and kept until the API has answered for
   * it. Resolves to its `eventId` once it is on storage.
   */
  async track(event: string, properties: Record<string, unknown> = {}, options: TrackOptions = {}): Promise<string> {
    const now = Date.now();
    const at = options.timestamp?.getTime() ?? now;
    // The id carries the time of the call, the timestamp the time of the event: they differ only for backdated events.
    const eventId = uuidv7(now);
    await this.#ready;
    const sessionId = options.sessionId ?? this.#sessions.sessionAt(at);
    const value = eventValue(options.value, properties);
    const source = options.source ?? this.#options.source;
    const queued: QueuedEvent = {
      eventId,
      event,
      deviceId: this.#deviceId,
      timestamp: new Date(at).toISOString(),
      properties,
      context: { library: { name: '@tidemark/sdk', version: SDK_VERSION } },
      ...(this.#userId !== undefined ? { userId: this.#userId } : {}),
      ...(sessionId !== undefined ? { sessionId } : {}),
      ...(source !== undefined ? { source } : {}),
      ...(value !== undefined ? { value } : {}),
    };
    const stored = this.#queue.push(queued).catch((cause: unknown) => {
      this.#report({
        kind: TidemarkErrorKind.storage,
        message: `the queue could not be saved: ${String(cause)}; the event is kept in memory`,
        eventIds: [eventId],
        cause,
      });
    });
    if (this.#queue.length >= this.#options.flushAt) void this.#drainUnlessWaiting();
    await stored;
    return eventId;
  }

  async screen(name: string, properties: Record<string, unknown> = {}, options: TrackOptions = {}): Promise<string> {
    return this.track('screen', { ...properties, name }, options);
  }

  async identify(userId: string, traits: Record<string, unknown> = {}): Promise<string> {
    await this.#ready;
    this.#userId = userId;
    await this.#options.storage.state.setItem(USER_ID_KEY, userId);
    return this.track('identify', { traits });
  }

  /** Forgets the user, ends the session and starts a new anonymous device id; queued events keep theirs. */
  async reset(): Promise<void> {
    await this.#ready;
    this.#userId = undefined;
    this.#deviceId = uuidv7();
    this.#sessions.end();
    await this.#options.storage.state.removeItem(USER_ID_KEY);
    await this.#options.storage.state.setItem(DEVICE_ID_KEY, this.#deviceId);
  }

  /** Tells the client whether the network is up (for platforms without an `isOnline` probe); online sends at once. */
  setOnline(online: boolean): void {
    this.#online = online;
    if (online) void this.flush();
  }

  /** Sends what is queued now, cancelling any pending backoff, until the queue is empty or the API asks to wait. */
  flush(): Promise<void> {
    this.#paused = false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    return this.#drain();
  }

  /** One last flush, then timers stop; the queue stays on storage for the next start. */
  async shutdown(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.#closed = true;
    clearInterval(this.#intervalTimer);
    clearTimeout(this.#retryTimer);
    await this.#sessions.flushed();
    await this.#queue.close();
  }

  /** The automatic triggers (flushAt, the interval) respect a pending backoff; only `flush()` and going online cut it short. */
  #drainUnlessWaiting(): Promise<void> {
    return this.#retryTimer === undefined ? this.#drain() : Promise.resolve();
  }

  #drain(): Promise<void> {
    this.#flushing ??= this.#sendAll().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  #isOnline(): boolean {
    return this.#online && (this.#options.isOnline?.() ?? true);
  }

  async #sendAll(): Promise<void> {
    await this.#ready;
    while (!this.#closed && !this.#paused && this.#retryTimer === undefined && this.#queue.length > 0 && this.#isOnline()) {
      const batch = this.#queue.peek(this.#batchSize, this.#options.maxBatchBytes);
      if ((await this.#send(batch)) === 'stop') return;
    }
  }

  async #send(batch: QueuedEvent[]): Promise<Outcome> {
    const url = `${this.#options.endpoint}/v1/batch`;
    let response: TransportResponse;
    try {
      const json = JSON.stringify({ events: batch, sentAt: new Date().toISOString() });
      const { body, encoding } = await this.#encode(json);
      response = await this.#options.transport(url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${btoa(`${this.#options.writeKey}:`)}`,
          'content-type': 'application/json',
          ...(encoding ? { 'content-encoding': encoding } : {}),
        },
        body,
      });
    } catch (cause) {
      const kind = await classifyFailure(cause, this.#probe());
      this.#report({ kind, message: `${describeFailure(kind, this.#options.endpoint)}; retrying with backoff`, eventIds: [], cause });
      return this.#retryLater();
    }
    const { status } = response;
    if (status >= 200 && status < 300) return this.#settle(batch, (await response.json().catch(() => ({}))) as Partial<IngestAnswer>);
    if (status === 429) return this.#retryLater(Number(response.headers.get('retry-after') ?? 0) * 1000);
    if (status === 413 || status === 400) return this.#shrink(batch, status);
    if (status >= 500 || status === 408) {
      this.#report({ kind: TidemarkErrorKind.server, message: `the API answered ${status}; retrying with backoff`, eventIds: [], status });
      return this.#retryLater();
    }
    const auth = status === 401 || status === 403;
    this.#paused = true;
    this.#report({
      kind: auth ? TidemarkErrorKind.auth : TidemarkErrorKind.refused,
      message: `${auth ? 'the API refused the write key' : 'the API refused the request'} (${status}); sending paused until the next flush, nothing dropped`,
      eventIds: [],
      status,
    });
    return 'stop';
  }

  async #settle(batch: QueuedEvent[], body: Partial<IngestAnswer>): Promise<Outcome> {
    const rejected = Array.isArray(body.rejected) ? body.rejected.filter((r) => batch[r.index] !== undefined) : [];
    const permanent = rejected.filter((r) => !r.retryable);
    if (permanent.length > 0) {
      this.#report({
        kind: TidemarkErrorKind.rejected,
        message: permanent.map((r) => `${r.reason}: ${r.error}`).join('; '),
        eventIds: permanent.map((r) => batch[r.index]!.eventId),
      });
    }
    const retry = new Set<number>();
    const exhausted: Rejection[] = [];
    for (const r of rejected.filter((r) => r.retryable)) {
      const id = batch[r.index]!.eventId;
      const attempts = (this.#attempts.get(id) ?? 0) + 1;
      this.#attempts.set(id, attempts);
      if (attempts < this.#options.maxAttempts) retry.add(r.index);
      else exhausted.push(r);
    }
    if (exhausted.length > 0) {
      this.#report({
        kind: TidemarkErrorKind.dropped,
        message: `rejected as retryable ${this.#options.maxAttempts} times, dropped so they do not block the queue: ${exhausted.map((r) => `${r.reason}: ${r.error}`).join('; ')}`,
        eventIds: exhausted.map((r) => batch[r.index]!.eventId),
      });
    }
    const done = batch.filter((_, i) => !retry.has(i)).map((e) => e.eventId);
    for (const id of done) this.#attempts.delete(id);
    await this.#queue.remove(done);
    if (retry.size > 0) return this.#retryLater();
    this.#failures = 0;
    this.#batchSize = Math.min(this.#options.batchSize, this.#batchSize * 2);
    return 'continue';
  }

  async #shrink(batch: QueuedEvent[], status: number): Promise<Outcome> {
    if (batch.length > 1) {
      this.#batchSize = Math.max(1, Math.floor(batch.length / 2));
      return 'continue';
    }
    const eventId = batch[0]!.eventId;
    this.#report({
      kind: TidemarkErrorKind.too_large,
      message: `the API refused a single event (${status}); it was dropped`,
      eventIds: [eventId],
      status,
    });
    this.#attempts.delete(eventId);
    await this.#queue.remove([eventId]);
    return 'continue';
  }

  #retryLater(waitMs?: number): 'stop' {
    this.#failures++;
    const backoff = Math.min(this.#options.maxBackoffMs, this.#options.minBackoffMs * 2 ** (this.#failures - 1));
    const delay = waitMs && waitMs > 0 ? waitMs : backoff * (0.5 + this.#options.random());
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#drain();
    }, delay);
    (this.#retryTimer as { unref?: () => void }).unref?.();
    return 'stop';
  }

  /** In a browser, whether the endpoint answers a request the page may not read; elsewhere nothing to probe. */
  #probe(): (() => Promise<boolean>) | undefined {
    if (!('document' in globalThis) || typeof fetch === 'undefined') return undefined;
    return () => fetch(`${this.#options.endpoint}/health`, { mode: 'no-cors' }).then(() => true);
  }

  async #encode(json: string): Promise<{ body: string | Uint8Array; encoding?: string }> {
    if (!this.#options.gzip || typeof CompressionStream === 'undefined') return { body: json };
    const stream = new Blob([json]).stream().pipeThrough(new CompressionStream('gzip'));
    return { body: new Uint8Array(await new Response(stream).arrayBuffer()), encoding: 'gzip' };
  }

  #report(error: TidemarkError): void {
    try {
      this.#options.onError?.(error);
    } catch {
      // A failing hook must not stop the queue.
    }
  }
}

function describeFailure(kind: 'network' | 'dns' | 'cors', endpoint: string): string {
  if (kind === 'dns') return `the host of ${endpoint} does not resolve`;
  if (kind === 'cors') return `${endpoint} is reachable but does not allow this page's origin (CORS)`;
  return `${endpoint} could not be reached`;
}

/** Options left `undefined` take their defaults rather than erasing them. */
function withoutUndefined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;
}
