import type { KeyValueStore } from './types.js';

/** The same store with every key under `prefix:`, so the client's keys never meet the app's. */
export const prefixed = (store: KeyValueStore, prefix: string): KeyValueStore => ({
  getItem: (key) => store.getItem(`${prefix}:${key}`),
  setItem: (key, value) => store.setItem(`${prefix}:${key}`, value),
  removeItem: (key) => store.removeItem(`${prefix}:${key}`),
});
