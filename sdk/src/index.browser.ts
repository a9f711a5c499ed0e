/** Browsers: no Node import anywhere below this file. */
export * from './index.js';
export { indexedDbStorage } from './storage/indexeddb.js';
export { localStorageStorage } from './storage/local-storage.js';
