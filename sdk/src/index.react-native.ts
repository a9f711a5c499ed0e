export * from './index.js';
export { asyncStorage } from './storage/async-storage.js';
