/**
 * Browsers: one IndexedDB database with a `queue` store (one record per event, auto-incremented
 * keys in arrival order) and a `state` store. An append is one transaction adding records, a
 * removal one transaction deleting them: neither reads or rewrites the rest of the queue.
 * IndexedDB's quota is a share of the disk, far above this queue's default bound of 20 MiB
 * (https://developer.mozilla.org/en-US/docs/Web/API/Storage_API/Storage_quotas_and_eviction_criteria).
 */
import type { QueuedEvent } from '../event.js';
import type { IdbDatabase, IdbFactory, IdbObjectStore, IdbTransactionMode } from './indexeddb-types.js';
import type { KeyValueStore, QueueLog, TidemarkStorage } from './types.js';

const QUEUE = 'queue';
const STATE = 'state';

export function indexedDbStorage(
  databaseName = 'tidemark',
  factory: IdbFactory = (globalThis as { indexedDB?: IdbFactory }).indexedDB!,
): TidemarkStorage {
  let opened: Promise<IdbDatabase> | undefined;
  const database = () =>
    (opened ??= new Promise<IdbDatabase>((resolve, reject) => {
      const request = factory.open(databaseName, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore(QUEUE, { autoIncrement: true });
        request.result.createObjectStore(STATE);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    }));

  /** Runs `work` in one transaction and resolves when it has committed. */
  const transact = async <T>(store: string, mode: IdbTransactionMode, work: (objects: IdbObjectStore) => T): Promise<T> => {
    const transaction = (await database()).transaction(store, mode);
    const result = work(transaction.objectStore(store));
    await new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    });
    return result;
  };

  const state: KeyValueStore = {
    getItem: (key) =>
      transact(STATE, 'readonly', (objects) => objects.get(key)).then((request) =>
        typeof request.result === 'string' ? request.result : null,
      ),
    setItem: (key, value) => transact(STATE, 'readwrite', (objects) => void objects.put(value, key)),
    removeItem: (key) => transact(STATE, 'readwrite', (objects) => void objects.delete(key)),
  };

  const keyOf = new Map<string, unknown>();
  const queue: QueueLog = {
    async load() {
      const events: QueuedEvent[] = [];
      await transact(QUEUE, 'readonly', (objects) => {
        const cursor = objects.openCursor();
        cursor.onsuccess = () => {
          const at = cursor.result;
          if (!at) return;
          const event = at.value as QueuedEvent;
          keyOf.set(event.eventId, at.primaryKey);
          events.push(event);
          at.continue();
        };
      });
      return events;
    },
    async append(events) {
      const added = await transact(QUEUE, 'readwrite', (objects) => events.map((event) => ({ event, request: objects.add(event) })));
      for (const { event, request } of added) keyOf.set(event.eventId, request.result);
    },
    async remove(eventIds) {
      await transact(QUEUE, 'readwrite', (objects) => {
        for (const id of eventIds) {
          const key = keyOf.get(id);
          if (key === undefined) continue;
          objects.delete(key);
          keyOf.delete(id);
        }
      });
    },
  };

  return { state, queue, defaultMaxQueueBytes: 20 * 1024 * 1024 };
}
