export { Tidemark, SDK_VERSION, type TidemarkOptions, type TidemarkError, type Transport, type TransportResponse } from './client.js';
export { asyncStorage, fileStorage, localStorageAdapter, memoryStorage, type QueueStorage } from './storage.js';
export { PersistentQueue, type QueuedEvent } from './queue.js';
export { uuidv7 } from './uuid.js';
