/**
 * The persistent event queue: bounded by count and bytes (oldest dropped first, counted), saved
 * whole after every change, read back on start. Events keep their ids for life, so whatever is
 * resent after a crash is recognized by the server.
 */
import type { QueueStorage } from './storage.js';

export type QueuedEvent = { eventId: string; event: string; timestamp: string; [key: string]: unknown };

export type QueueLimits = { readonly maxEvents: number; readonly maxBytes: number };

export class PersistentQueue {
  #events: QueuedEvent[] = [];
  #bytes = 0;
  #dropped = 0;
  #writing: Promise<void> = Promise.resolve();
  #next: Promise<void> | undefined;

  constructor(
    private readonly storage: QueueStorage,
    private readonly key: string,
    private readonly limits: QueueLimits,
  ) {}

  /** Reads what an earlier run left. */
  async load(): Promise<void> {
    const saved = await this.storage.getItem(this.key);
    const parsed = saved ? (JSON.parse(saved) as { events?: QueuedEvent[]; dropped?: number }) : {};
    this.#events = Array.isArray(parsed.events) ? parsed.events : [];
    this.#dropped = parsed.dropped ?? 0;
    this.#bytes = this.#events.reduce((sum, e) => sum + sizeOf(e), 0);
  }

  get length(): number {
    return this.#events.length;
  }

  /** Events dropped because the queue was full, oldest first, since the queue was created. */
  get dropped(): number {
    return this.#dropped;
  }

  get bytes(): number {
    return this.#bytes;
  }

  async push(event: QueuedEvent): Promise<void> {
    this.#events.push(event);
    this.#bytes += sizeOf(event);
    while (this.#events.length > 1 && (this.#events.length > this.limits.maxEvents || this.#bytes > this.limits.maxBytes)) {
      this.#bytes -= sizeOf(this.#events.shift()!);
      this.#dropped++;
    }
    await this.#save();
  }

  /** The oldest events, up to `count` and `maxBytes`. */
  peek(count: number, maxBytes: number): QueuedEvent[] {
    const batch: QueuedEvent[] = [];
    let bytes = 0;
    for (const event of this.#events) {
      const size = sizeOf(event);
      if (batch.length >= count || (batch.length > 0 && bytes + size > maxBytes)) break;
      batch.push(event);
      bytes += size;
    }
    return batch;
  }

  async remove(eventIds: Iterable<string>): Promise<void> {
    const gone = new Set(eventIds);
    if (gone.size === 0) return;
    this.#events = this.#events.filter((e) => !gone.has(e.eventId));
    this.#bytes = this.#events.reduce((sum, e) => sum + sizeOf(e), 0);
    await this.#save();
  }

  async clear(): Promise<void> {
    this.#events = [];
    this.#bytes = 0;
    await this.#save();
  }

  /**
   * Group commit: while one write runs, every change joins the next write, which snapshots the
   * queue when it starts. Each caller's promise resolves once a write containing its change landed.
   */
  #save(): Promise<void> {
    this.#next ??= (async () => {
      await this.#writing.catch(() => undefined);
      this.#next = undefined;
      this.#writing = this.storage.setItem(this.key, JSON.stringify({ events: this.#events, dropped: this.#dropped }));
      await this.#writing;
    })();
    return this.#next;
  }
}

const encoder = new TextEncoder();
const sizeOf = (event: QueuedEvent) => encoder.encode(JSON.stringify(event)).length;
