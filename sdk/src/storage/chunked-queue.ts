/**
 * A queue log over a key-value store (localStorage, AsyncStorage, memory): events live in chunks
 * of at most `chunkEvents`, one key each, plus a small index of the chunk numbers. Appending
 * rewrites only the newest chunk and removing rewrites only the chunks that held the removed
 * events, so each write is bounded by the chunk size, never by the queue's length. Chunks also
 * keep every entry far below per-entry limits (AsyncStorage on Android reads at most ~2 MB per
 * entry: https://react-native-async-storage.github.io/async-storage/docs/limits).
 */
import type { QueuedEvent } from '../event.js';
import type { KeyValueStore, QueueLog } from './types.js';

type Index = { readonly chunks: number[] };

export function chunkedQueueLog(store: KeyValueStore, prefix: string, chunkEvents = 100): QueueLog {
  const indexKey = `${prefix}:index`;
  const chunkKey = (n: number) => `${prefix}:chunk:${n}`;
  const chunks = new Map<number, QueuedEvent[]>();
  const chunkOf = new Map<string, number>();
  let order: number[] = [];

  const writeIndex = () => store.setItem(indexKey, JSON.stringify({ chunks: order } satisfies Index));
  const writeChunk = async (n: number) => {
    const events = chunks.get(n)!;
    if (events.length > 0) return store.setItem(chunkKey(n), JSON.stringify(events));
    chunks.delete(n);
    order = order.filter((c) => c !== n);
    await writeIndex();
    await store.removeItem(chunkKey(n));
  };

  return {
    async load() {
      const index = JSON.parse((await store.getItem(indexKey)) ?? '{"chunks":[]}') as Index;
      order = [];
      const all: QueuedEvent[] = [];
      for (const n of index.chunks) {
        const saved = await store.getItem(chunkKey(n));
        if (saved === null) continue;
        const events = JSON.parse(saved) as QueuedEvent[];
        chunks.set(n, events);
        order.push(n);
        for (const event of events) {
          chunkOf.set(event.eventId, n);
          all.push(event);
        }
      }
      return all;
    },

    async append(events) {
      let remaining = events;
      while (remaining.length > 0) {
        let tail = order.at(-1);
        if (tail === undefined || chunks.get(tail)!.length >= chunkEvents) {
          tail = (tail ?? -1) + 1;
          chunks.set(tail, []);
          order.push(tail);
          // The index names the chunk before it exists: a crash in between leaves a name with no chunk, which load skips.
          await writeIndex();
        }
        const chunk = chunks.get(tail)!;
        const taken = remaining.slice(0, chunkEvents - chunk.length);
        for (const event of taken) {
          chunk.push(event);
          chunkOf.set(event.eventId, tail);
        }
        remaining = remaining.slice(taken.length);
        await writeChunk(tail);
      }
    },

    async remove(eventIds) {
      const touched = new Set<number>();
      const gone = new Set<string>();
      for (const id of eventIds) {
        const n = chunkOf.get(id);
        if (n === undefined) continue;
        chunkOf.delete(id);
        gone.add(id);
        touched.add(n);
      }
      for (const n of touched) {
        chunks.set(
          n,
          chunks.get(n)!.filter((e) => !gone.has(e.eventId)),
        );
        await writeChunk(n);
      }
    },
  };
}
