/**
 * Where the client keeps what must survive a restart: a few small values (device id, user id, the
 * current session) and the event queue. The queue is a log, not a value: appending one event and
 * removing sent ones cost the same whatever the queue's length, so a long offline spell never
 * makes `track` slower.
 */
import type { QueuedEvent } from '../event.js';

/** The shape of React Native's AsyncStorage; small values only. */
export interface KeyValueStore {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
}

/** The persistent half of the queue. Implementations keep order and never lose an appended event before `remove`. */
export interface QueueLog {
  /** Every event appended and not removed, oldest first. */
  load(): Promise<QueuedEvent[]>;
  append(events: readonly QueuedEvent[]): Promise<void>;
  remove(eventIds: readonly string[]): Promise<void>;
  /** Releases what the log holds open (a file handle); the log stays on storage. */
  close?(): Promise<void>;
}

export interface TidemarkStorage {
  readonly state: KeyValueStore;
  readonly queue: QueueLog;
  /** The queue's byte bound on this platform, below the platform's own quota (see each adapter). */
  readonly defaultMaxQueueBytes: number;
}
