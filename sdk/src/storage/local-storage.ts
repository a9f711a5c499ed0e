import { chunkedQueueLog } from './chunked-queue.js';
import { prefixed } from './prefixed.js';
import type { KeyValueStore, TidemarkStorage } from './types.js';

/**
 * Browser `localStorage`, for pages that cannot use IndexedDB. Browsers give an origin about 5 MiB
 * of it (https://developer.mozilla.org/en-US/docs/Web/API/Storage_API/Storage_quotas_and_eviction_criteria),
 * shared with everything else the page stores; the queue stays under 2 MiB so `setItem` never
 * meets a QuotaExceededError.
 */
/** The synchronous shape of `window.localStorage`. */
export type KeyValueSync = {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
};

export function localStorageStorage(storage: KeyValueSync, prefix = 'tidemark'): TidemarkStorage {
  const store: KeyValueStore = {
    getItem: async (key) => storage.getItem(key),
    setItem: async (key, value) => storage.setItem(key, value),
    removeItem: async (key) => storage.removeItem(key),
  };
  return { state: prefixed(store, prefix), queue: chunkedQueueLog(store, `${prefix}:queue`), defaultMaxQueueBytes: 2 * 1024 * 1024 };
}
