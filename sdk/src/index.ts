/** What every platform's entry shares; each entry adds its own storage adapters. */
export { Tidemark, type TidemarkOptions, type TrackOptions, type Transport, type TransportResponse } from './client.js';
export type { IngestAnswer, Rejection } from './answers.js';
export { TidemarkErrorKind, type TidemarkError } from './errors.js';
export { VALUE_PROPERTY_NAMES, type QueuedEvent } from './event.js';
export { memoryStorage } from './storage/memory.js';
export type { KeyValueStore, QueueLog, TidemarkStorage } from './storage/types.js';
export { uuidv7 } from './uuid.js';
export { SDK_VERSION } from './version.js';
