import { chunkedQueueLog } from './chunked-queue.js';
import type { KeyValueStore, TidemarkStorage } from './types.js';

/** Keeps nothing across restarts unless the same instance is passed again (tests, short-lived scripts). */
export function memoryStorage(): TidemarkStorage & { readonly values: Map<string, string> } {
  const values = new Map<string, string>();
  const store: KeyValueStore = {
    getItem: async (key) => values.get(key) ?? null,
    setItem: async (key, value) => void values.set(key, value),
    removeItem: async (key) => void values.delete(key),
  };
  return { values, state: store, queue: chunkedQueueLog(store, 'tidemark:queue'), defaultMaxQueueBytes: 16 * 1024 * 1024 };
}
