/**
 * What the queue benchmark measures, the same in Node and in a browser: tracks per second when
 * 0, 5,000 and 10,000 events are already queued (offline, so nothing leaves the queue). Each
 * measured track is awaited before the next (the slowest way an app can call it: no two tracks
 * share a storage write); the filling in between is not measured. Each level is measured in three
 * rounds and the fastest is kept, so a busy machine's pauses do not pass for the queue's cost.
 */
import { Tidemark } from '../src/client.js';
import { memoryStorage } from '../src/storage/memory.js';
import type { TidemarkStorage } from '../src/storage/types.js';

export type Rate = { readonly queued: number; readonly tracksPerSecond: number };

const LEVELS = [0, 5000, 10_000];
const MEASURED = 500;
const ROUNDS = 3;
const PROPERTIES = { screen: 'checkout', sku: 'A-1', price: 12.5, note: 'x'.repeat(200) };

export async function measureTrackRates(storage: TidemarkStorage): Promise<Rate[]> {
  // Warm the JIT on a throwaway client first, or the first level pays for compilation.
  await tracksOn(memoryStorage(), async (client) => {
    for (let i = 0; i < 2000; i++) await client.track('warm-up', PROPERTIES);
  });
  return tracksOn(storage, async (client) => {
    const rates: Rate[] = [];
    for (const level of LEVELS) {
      while (client.queued < level) {
        const batch = Math.min(1000, level - client.queued);
        await Promise.all(Array.from({ length: batch }, () => client.track('fill', PROPERTIES)));
      }
      let fastestMs = Infinity;
      for (let round = 0; round < ROUNDS; round++) {
        const started = performance.now();
        for (let i = 0; i < MEASURED; i++) await client.track('measured', PROPERTIES);
        fastestMs = Math.min(fastestMs, performance.now() - started);
      }
      rates.push({ queued: level, tracksPerSecond: Math.round(MEASURED / (fastestMs / 1000)) });
    }
    return rates;
  });
}

async function tracksOn<T>(storage: TidemarkStorage, work: (client: Tidemark) => Promise<T>): Promise<T> {
  const client = new Tidemark({
    endpoint: 'http://127.0.0.1:9',
    writeKey: 'bench',
    storage,
    isOnline: () => false,
    maxQueueEvents: 1_000_000,
    maxQueueBytes: 1 << 30,
  });
  await client.ready();
  try {
    return await work(client);
  } finally {
    await client.shutdown();
  }
}
