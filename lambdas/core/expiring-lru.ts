/**
 * A bounded cache whose entries expire: at most `maxEntries`, the least recently used evicted
 * first, each entry kept for the time given when it was set. Pure; the clock is passed in.
 */
export class ExpiringLru<K, V> {
  readonly #entries = new Map<K, { value: V; until: number }>();

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The entry, when present and unexpired at `now`; `found` tells a cached undefined from a miss. */
  get(key: K, now: number): { found: true; value: V } | { found: false } {
    const entry = this.#entries.get(key);
    if (!entry) return { found: false };
    this.#entries.delete(key);
    if (entry.until <= now) return { found: false };
    // Map keeps insertion order: re-inserting marks the entry most recently used.
    this.#entries.set(key, entry);
    return { found: true, value: entry.value };
  }

  set(key: K, value: V, ttlMs: number, now: number): void {
    if (ttlMs <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, until: now + ttlMs });
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as K);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }
}
