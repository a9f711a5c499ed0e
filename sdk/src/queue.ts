/**
 * The event queue: an in-memory view for sending, backed by a `QueueLog` for restarts. Bounded by
 * count and bytes (the oldest dropped first, and counted). Every change is one log operation
 * whatever the queue's length; changes made while a write runs are merged into the next write
 * (group commit), and each caller's promise resolves once the write holding its change landed.
 */
import type { QueuedEvent } from './event.js';
import type { QueueLog } from './storage/types.js';

export type QueueLimits = { readonly maxEvents: number; readonly maxBytes: number };

type Operation = { readonly kind: 'append'; readonly events: QueuedEvent[] } | { readonly kind: 'remove'; readonly ids: string[] };

export class PersistentQueue {
  /** Oldest first from `#head`; removed events stay in the array until the head passes them. */
  #events: QueuedEvent[] = [];
  #head = 0;
  #size = new Map<string, number>();
  #bytes = 0;
  #dropped = 0;
  #writes: Promise<void> = Promise.resolve();
  #open: { operation: Operation; done: Promise<void> } | undefined;

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
    const appended = this.#enqueue('append', event);
    return overflow.length > 0 ? Promise.all([appended, this.#enqueue('remove', ...overflow)]).then(() => undefined) : appended;
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
    return this.#enqueue('remove', ...present);
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

  #enqueue(kind: 'append', ...items: QueuedEvent[]): Promise<void>;
  #enqueue(kind: 'remove', ...items: string[]): Promise<void>;
  #enqueue(kind: Operation['kind'], ...items: (QueuedEvent | string)[]): Promise<void> {
    const open = this.#open;
    if (open && open.operation.kind === kind) {
      if (open.operation.kind === 'append') open.operation.events.push(...(items as QueuedEvent[]));
      else open.operation.ids.push(...(items as string[]));
      return open.done;
    }
    const operation: Operation = kind === 'append' ? { kind, events: items as QueuedEvent[] } : { kind, ids: items as string[] };
    const done = this.#writes
      .catch(() => undefined)
      .then(() => {
        if (this.#open?.operation === operation) this.#open = undefined;
        return operation.kind === 'append' ? this.log.append(operation.events) : this.log.remove(operation.ids);
      });
    this.#open = { operation, done };
    this.#writes = done;
    return done;
  }
}

const encoder = new TextEncoder();
const sizeOf = (event: QueuedEvent) => encoder.encode(JSON.stringify(event)).length;
