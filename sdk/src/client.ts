/**
 * The Tidemark client. Every event gets a UUIDv7 id and its time when it is tracked, waits in a
 * persistent queue, and leaves the queue only when the API has answered for it:
 *
 * - 2xx: accepted rows and rows rejected for good leave the queue (the latter reported to onError);
 *   rows rejected as retryable stay and are sent again.
 * - 5xx, 408, network errors: exponential backoff with jitter. 429: wait what Retry-After says.
 * - 413 (or 400 for a batch the server will not read): halve the batch; a single event refused
 *   that way is dropped and reported, so one bad event never blocks the queue.
 * - 401/403: sending pauses until `flush()` is called again; nothing is dropped.
 *
 * `sentAt` is set at each attempt, so the server's clock-skew correction uses the real send time.
 */
import { PersistentQueue, type QueuedEvent } from './queue.js';
import type { QueueStorage } from './storage.js';
import { uuidv7 } from './uuid.js';

export const SDK_VERSION = '0.1.0';

export type TransportResponse = { status: number; headers: { get(name: string): string | null }; json(): Promise<unknown> };
export type Transport = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string | Uint8Array }) => Promise<TransportResponse>;

export type TidemarkError = { kind: 'rejected' | 'too_large' | 'auth' | 'dropped'; message: string; eventIds: string[] };

export type TidemarkOptions = {
  /** Base URL of the Tidemark API, e.g. https://…/v1 stage root or http://127.0.0.1:3000. */
  readonly endpoint: string;
  readonly writeKey: string;
  readonly storage: QueueStorage;
  /** Events per request. @default 100 */
  readonly batchSize?: number;
  /** Bytes per request before compression. @default 512 KiB */
  readonly maxBatchBytes?: number;
  /** Send when this many events are queued. @default 20 */
  readonly flushAt?: number;
  /** Send at this interval, ms. @default 10000 */
  readonly flushIntervalMs?: number;
  /** Queue bounds; the oldest events are dropped first when full. @default 10000 events, 5 MiB */
  readonly maxQueueEvents?: number;
  readonly maxQueueBytes?: number;
  /** Backoff after a failed send, ms. @default 1000 to 60000 */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** gzip bodies where the platform has CompressionStream. @default true */
  readonly gzip?: boolean;
  readonly deviceId?: string;
  readonly transport?: Transport;
  readonly onError?: (error: TidemarkError) => void;
  /** Whether the network is up; sending pauses while it says no. */
  readonly isOnline?: () => boolean;
  readonly random?: () => number;
};

type Rejection = { index: number; reason: string; error: string; retryable: boolean };

const STORAGE_PREFIX = 'tidemark:';

export class Tidemark {
  readonly #options: Required<Omit<TidemarkOptions, 'deviceId' | 'onError' | 'isOnline'>> & Pick<TidemarkOptions, 'onError' | 'isOnline'>;
  readonly #queue: PersistentQueue;
  #deviceId = '';
  #userId: string | undefined;
  #batchSize: number;
  #failures = 0;
  #paused = false;
  #online = true;
  #flushing: Promise<void> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #intervalTimer: ReturnType<typeof setInterval> | undefined;
  #ready: Promise<void>;
  #closed = false;

  constructor(options: TidemarkOptions) {
    this.#options = {
      batchSize: 100,
      maxBatchBytes: 512 * 1024,
      flushAt: 20,
      flushIntervalMs: 10_000,
      maxQueueEvents: 10_000,
      maxQueueBytes: 5 * 1024 * 1024,
      minBackoffMs: 1000,
      maxBackoffMs: 60_000,
      gzip: true,
      transport: (url, init) => globalThis.fetch(url, init as RequestInit) as Promise<TransportResponse>,
      random: Math.random,
      ...options,
      endpoint: options.endpoint.replace(/\/$/, ''),
    };
    this.#batchSize = this.#options.batchSize;
    this.#queue = new PersistentQueue(options.storage, `${STORAGE_PREFIX}queue`, {
      maxEvents: this.#options.maxQueueEvents,
      maxBytes: this.#options.maxQueueBytes,
    });
    this.#ready = this.#start(options.deviceId);
  }

  async #start(deviceId: string | undefined): Promise<void> {
    await this.#queue.load();
    const stored = await this.#options.storage.getItem(`${STORAGE_PREFIX}deviceId`);
    this.#deviceId = deviceId ?? stored ?? uuidv7();
    if (this.#deviceId !== stored) await this.#options.storage.setItem(`${STORAGE_PREFIX}deviceId`, this.#deviceId);
    this.#userId = (await this.#options.storage.getItem(`${STORAGE_PREFIX}userId`)) ?? undefined;
    this.#intervalTimer = setInterval(() => void this.flush(), this.#options.flushIntervalMs);
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

  /** Events dropped because the queue was full. */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /** Records an event now; it is sent later, in a batch, and kept until the API has answered for it. */
  async track(event: string, properties: Record<string, unknown> = {}, options: { timestamp?: Date; sessionId?: string } = {}): Promise<string> {
    const eventId = uuidv7();
    const timestamp = (options.timestamp ?? new Date()).toISOString();
    await this.#ready;
    const queued: QueuedEvent = {
      eventId,
      event,
      deviceId: this.#deviceId,
      timestamp,
      properties,
      context: { library: { name: '@tidemark/sdk', version: SDK_VERSION } },
      ...(this.#userId ? { userId: this.#userId } : {}),
      ...(options.sessionId ? { sessionId: options.sessionId } : {}),
    };
    await this.#queue.push(queued);
    if (this.#queue.length >= this.#options.flushAt) void this.flush();
    return eventId;
  }

  async screen(name: string, properties: Record<string, unknown> = {}): Promise<string> {
    return this.track('screen', { ...properties, name });
  }

  async identify(userId: string, traits: Record<string, unknown> = {}): Promise<string> {
    await this.#ready;
    this.#userId = userId;
    await this.#options.storage.setItem(`${STORAGE_PREFIX}userId`, userId);
    return this.track('identify', { traits });
  }

  /** Forgets the user and starts a new anonymous device id; queued events keep theirs. */
  async reset(): Promise<void> {
    await this.#ready;
    this.#userId = undefined;
    this.#deviceId = uuidv7();
    await this.#options.storage.removeItem(`${STORAGE_PREFIX}userId`);
    await this.#options.storage.setItem(`${STORAGE_PREFIX}deviceId`, this.#deviceId);
  }

  /** Tells the client whether the network is up (for platforms without an `isOnline` probe). */
  setOnline(online: boolean): void {
    this.#online = online;
    if (online) void this.flush();
  }

  /** Sends what is queued until the queue is empty or the API asks to wait. */
  flush(): Promise<void> {
    this.#paused = false;
    this.#flushing ??= this.#drain().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  /** One last flush, then timers stop; the queue stays on storage for the next start. */
  async shutdown(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.#closed = true;
    clearInterval(this.#intervalTimer);
    clearTimeout(this.#retryTimer);
  }

  #isOnline(): boolean {
    return this.#online && (this.#options.isOnline?.() ?? true);
  }

  async #drain(): Promise<void> {
    await this.#ready;
    while (!this.#closed && !this.#paused && this.#retryTimer === undefined && this.#queue.length > 0 && this.#isOnline()) {
      const batch = this.#queue.peek(this.#batchSize, this.#options.maxBatchBytes);
      const outcome = await this.#send(batch);
      if (outcome === 'stop') return;
    }
  }

  async #send(batch: QueuedEvent[]): Promise<'continue' | 'stop'> {
    let response: TransportResponse;
    try {
      const json = JSON.stringify({ events: batch, sentAt: new Date().toISOString() });
      const { body, encoding } = await this.#encode(json);
      response = await this.#options.transport(`${this.#options.endpoint}/v1/batch`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${btoa(`${this.#options.writeKey}:`)}`,
          'content-type': 'application/json',
          ...(encoding ? { 'content-encoding': encoding } : {}),
        },
        body,
      });
    } catch {
      return this.#retryLater();
    }
    const { status } = response;
    if (status >= 200 && status < 300) return this.#settle(batch, (await response.json().catch(() => ({}))) as { rejected?: Rejection[] });
    if (status === 429) return this.#retryLater(Number(response.headers.get('retry-after') ?? 0) * 1000);
    if (status === 413 || status === 400) return this.#shrink(batch, status);
    if (status === 401 || status === 403) {
      this.#paused = true;
      this.#report({ kind: 'auth', message: `the API refused the write key (${status}); sending paused`, eventIds: [] });
      return 'stop';
    }
    return this.#retryLater();
  }

  async #settle(batch: QueuedEvent[], body: { rejected?: Rejection[] }): Promise<'continue' | 'stop'> {
    const rejected = Array.isArray(body.rejected) ? body.rejected : [];
    const retryable = new Set(rejected.filter((r) => r.retryable).map((r) => r.index));
    const dropped = rejected.filter((r) => !r.retryable);
    if (dropped.length > 0) {
      this.#report({ kind: 'rejected', message: dropped.map((r) => `${r.reason}: ${r.error}`).join('; '), eventIds: dropped.map((r) => batch[r.index]!.eventId) });
    }
    await this.#queue.remove(batch.filter((_, i) => !retryable.has(i)).map((e) => e.eventId));
    if (retryable.size > 0) return this.#retryLater();
    this.#failures = 0;
    this.#batchSize = Math.min(this.#options.batchSize, this.#batchSize * 2);
    return 'continue';
  }

  async #shrink(batch: QueuedEvent[], status: number): Promise<'continue' | 'stop'> {
    if (batch.length > 1) {
      this.#batchSize = Math.max(1, Math.floor(batch.length / 2));
      return 'continue';
    }
    this.#report({ kind: 'too_large', message: `the API refused a single event (${status}); it was dropped`, eventIds: [batch[0]!.eventId] });
    await this.#queue.remove([batch[0]!.eventId]);
    return 'continue';
  }

  #retryLater(waitMs?: number): 'stop' {
    this.#failures++;
    const backoff = Math.min(this.#options.maxBackoffMs, this.#options.minBackoffMs * 2 ** (this.#failures - 1));
    const delay = waitMs && waitMs > 0 ? waitMs : backoff * (0.5 + this.#options.random());
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.flush();
    }, delay);
    (this.#retryTimer as { unref?: () => void }).unref?.();
    return 'stop';
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
