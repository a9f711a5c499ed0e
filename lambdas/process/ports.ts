/** What the processor use case needs from outside; `adapters/` implements it (DynamoDB). */
import type { DeviceState } from '../../resources/api-answers.js';
import type { StoredFingerprint } from '../core/stored-event-item.js';
import type { StoredEvent } from '../core/types.js';

/**
 * `duplicate`: the id was stored with the same content (or content stored before fingerprints
 * existed, or a `session_start`, which has none). `conflict`: the id was stored with different
 * content; this copy is not stored, and the caller must keep it in the rejections store
 * (`conflictRejection`) and count it, so it is never silently lost.
 */
export type PutOutcome = 'stored' | 'duplicate' | 'conflict';

export interface EventStore {
  putIfAbsent(event: StoredEvent): Promise<PutOutcome>;
}

/**
 * What the events table holds for an event id: enough to tell whether it is this very event, and
 * (with the content fingerprint as the item stores it, absent on items that have none) a duplicate from a conflict.
 */
export type StoredCopy = { readonly sessionId: string; readonly timestamp: string } & StoredFingerprint;

export type ProcessDependencies = {
  readonly events: EventStore;
  /** The stored copies of these events of the project, by event id (absent ids are left out). */
  readonly storedCopies: (projectId: string, eventIds: readonly string[]) => Promise<ReadonlyMap<string, StoredCopy>>;
  /** True when this caller may emit the session's start (newly taken, or taken earlier by the same owner). */
  readonly acquireSessionLock: (projectId: string, deviceId: string, sessionId: string, ownerEventId: string) => Promise<boolean>;
  readonly advanceDevice: (projectId: string, state: DeviceState) => Promise<void>;
  /** Keeps copies whose id was already stored with other content (`conflict`) in the rejections store. */
  readonly recordConflicts: (projectId: string, events: readonly StoredEvent[]) => Promise<void>;
};
