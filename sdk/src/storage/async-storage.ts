import { chunkedQueueLog } from './chunked-queue.js';
import { prefixed } from './prefixed.js';
import type { KeyValueStore, TidemarkStorage } from './types.js';

/**
 * React Native's `@react-native-async-storage/async-storage` (pass its default export). On Android
 * the whole store is capped at 6 MB by default and one entry at ~2 MB
 * (https://react-native-async-storage.github.io/async-storage/docs/limits): the queue is kept in
 * chunks and under 2 MiB, leaving the app the rest.
 */
export function asyncStorage(store: KeyValueStore, prefix = 'tidemark'): TidemarkStorage {
  return { state: prefixed(store, prefix), queue: chunkedQueueLog(store, `${prefix}:queue`), defaultMaxQueueBytes: 2 * 1024 * 1024 };
}
