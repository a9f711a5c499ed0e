/**
 * The event queue: an in-memory view for sending, backed by a `QueueLog` for restarts. Bounded by
 * count and bytes (the oldest dropped first, and counted). A write costs the same whatever the
 * queue's length; changes made while a write runs are merged into the next write (group commit),
 * and each caller's promise resolves once the write holding its change landed.
 */
import type { QueuedEvent } from './event.js';
import type { QueueLog } from './storage/types.js';

export type QueueLimits = { readonly maxEvents: number; readonly maxBytes: number };

export class PersistentQueue {
  /** Oldest first from `#head`; removed events stay in the array until the head passes them. */
  #events: QueuedEvent[] = [];
  #head = 0;
  #size = new Map<string, number>();
  #bytes = 0;
  #dropped = 0;
  #writes: Promise<void> = Promise.resolve();
  #pending: PendingWrite | undefined;

  constructor(
    private readonly log: QueueLog,
    private readonly limits: QueueLimits,
  ) {}

  /** Reads what an earlier run left. */
  async load(): Promise<void> {
    this.#events = await this.log.load();
    this.#head = 0;
    this.#size = new Map(this.#events.map((event) => [event.eventId, sizeOf(event)]));
    this.#bytes = [...this.#size.values()].reduce((sum, size) => sum + size, 0);
  }

  get length(): number {
    return this.#size.size;
  }

  /** Events dropped because the queue was full, since this client started. */
  get dropped(): number {
    return this.#dropped;
  }

  push(event: QueuedEvent): Promise<void> {
    const size = sizeOf(event);
    this.#events.push(event);
    this.#size.set(event.eventId, size);
    this.#bytes += size;
    const overflow: string[] = [];
    while (this.#size.size > 1 && (this.#size.size > this.limits.maxEvents || this.#bytes > this.limits.maxBytes)) {
      const oldest = this.#oldest()!;
      overflow.push(oldest.eventId);
      this.#forget(oldest.eventId);
      this.#dropped++;
    }
    return this.#enqueue({ append: event, remove: overflow });
  }

  /** The oldest events, up to `count` and `maxBytes` (at least one). */
  peek(count: number, maxBytes: number): QueuedEvent[] {
    const batch: QueuedEvent[] = [];
    let bytes = 0;
    for (let i = this.#head; i < this.#events.length && batch.length < count; i++) {
      const event = this.#events[i]!;
      const size = this.#size.get(event.eventId);
      if (size === undefined) continue;
      if (batch.length > 0 && bytes + size > maxBytes) break;
      batch.push(event);
      bytes += size;
    }
    return batch;
  }

  remove(eventIds: readonly string[]): Promise<void> {
    const present = eventIds.filter((id) => this.#size.has(id));
    if (present.length === 0) return Promise.resolve();
    for (const id of present) this.#forget(id);
    return this.#enqueue({ remove: present });
  }

  /** Resolves once every change so far is on storage, and releases the log. */
  async close(): Promise<void> {
    await this.#writes.catch(() => undefined);
    await this.log.close?.();
  }

  #oldest(): QueuedEvent | undefined {
    this.#advanceHead();
    return this.#events[this.#head];
  }

  #forget(eventId: string): void {
    this.#bytes -= this.#size.get(eventId) ?? 0;
    this.#size.delete(eventId);
    this.#advanceHead();
  }

  #advanceHead(): void {
    while (this.#head < this.#events.length && !this.#size.has(this.#events[this.#head]!.eventId)) this.#head++;
    // Drop the passed prefix once it is most of the array: amortized O(1) per event.
    if (this.#head > 1024 && this.#head * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * Adds a change to the pending write, starting one if none is waiting. A pending write appends
   * first and removes second, which is right in any order of calls since ids are never reused;
   * an event appended and removed before its write started is never written at all.
   */
  #enqueue(change: { append?: QueuedEvent; remove?: readonly string[] }): Promise<void> {
    let pending = this.#pending;
    if (!pending) {
      const batch: PendingWrite = { appends: new Map(), removes: [], done: Promise.resolve() };
      batch.done = this.#writes
        .catch(() => undefined)
        .then(async () => {
          this.#pending = undefined;
          if (batch.appends.size > 0) await this.log.append([...batch.appends.values()]);
          if (batch.removes.length > 0) await this.log.remove(batch.removes);
        });
      this.#pending = pending = batch;
      this.#writes = batch.done;
    }
    if (change.append) pending.appends.set(change.append.eventId, change.append);
    for (const id of change.remove ?? []) if (!pending.appends.delete(id)) pending.removes.push(id);
    return pending.done;
  }
}

type PendingWrite = { readonly appends: Map<string, QueuedEvent>; readonly removes: string[]; done: Promise<void> };

const encoder = new TextEncoder();
const sizeOf = (event: QueuedEvent) => encoder.encode(JSON.stringify(event)).length;
