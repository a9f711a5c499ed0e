/**
 * The queue logs behind every platform adapter that runs in Node (the chunked log of localStorage,
 * AsyncStorage and memory; the file log; IndexedDB's runs in chromium, test/e2e/sdk-browser.test.ts), held to one model: after any sequence of appends and
 * removals, a fresh load returns exactly the events appended and not removed, in order.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FieldAliases } from '../../lambdas/core/field-aliases.js';
import { Tidemark } from '../src/client.js';
import { VALUE_PROPERTY_NAMES, type QueuedEvent } from '../src/event.js';
import { asyncStorage } from '../src/storage/async-storage.js';
import { fileStorage } from '../src/storage/file.js';
import { localStorageStorage } from '../src/storage/local-storage.js';
import type { KeyValueStore, TidemarkStorage } from '../src/storage/types.js';

const directories: string[] = [];
const freshDirectory = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-sdk-log-'));
  directories.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

const event = (n: number, text: string): QueuedEvent => ({
  eventId: `e-${n}`,
  event: text,
  timestamp: new Date(1_700_000_000_000 + n).toISOString(),
  deviceId: 'd',
  properties: { text },
  context: {},
});

function syncMap() {
  const values = new Map<string, string>();
  return {
    getItem: (k: string) => values.get(k) ?? null,
    setItem: (k: string, v: string) => void values.set(k, v),
    removeItem: (k: string) => void values.delete(k),
  };
}
function asyncMap(): KeyValueStore {
  const values = new Map<string, string>();
  return {
    getItem: async (k) => values.get(k) ?? null,
    setItem: async (k, v) => void values.set(k, v),
    removeItem: async (k) => void values.delete(k),
  };
}

/** Each adapter and how to reopen it as an app restart would. */
const adapters: [string, () => { open: () => TidemarkStorage }][] = [
  [
    'localStorage',
    () => {
      const m = syncMap();
      return { open: () => localStorageStorage(m) };
    },
  ],
  [
    'AsyncStorage',
    () => {
      const m = asyncMap();
      return { open: () => asyncStorage(m) };
    },
  ],
  [
    'file',
    () => {
      const dir = freshDirectory();
      return { open: () => fileStorage(dir) };
    },
  ],
];

const steps = fc.array(
  fc.oneof(
    fc.record({
      kind: fc.constant('append' as const),
      texts: fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 30 }),
    }),
    fc.record({ kind: fc.constant('remove' as const), picks: fc.array(fc.nat(), { maxLength: 40 }) }),
    fc.constant({ kind: 'restart' as const }),
  ),
  { maxLength: 25 },
);

describe.each(adapters)('the %s queue log', (_name, make) => {
  it('loads exactly what was appended and not removed, in order, across restarts (any sequence)', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (sequence) => {
        const adapter = make();
        let log = adapter.open().queue;
        await log.load();
        let model: QueuedEvent[] = [];
        let next = 0;
        for (const step of sequence) {
          if (step.kind === 'append') {
            const events = step.texts.map((text) => event(next++, text));
            await log.append(events);
            model.push(...events);
          } else if (step.kind === 'remove') {
            const ids = step.picks.map((p) => (model.length > 0 ? model[p % model.length]!.eventId : `missing-${p}`));
            await log.remove(ids);
            model = model.filter((e) => !ids.includes(e.eventId));
          } else {
            await log.close?.();
            log = adapter.open().queue;
            expect(await log.load()).toEqual(model);
          }
        }
        await log.close?.();
        expect(await adapter.open().queue.load()).toEqual(model);
      }),
      { numRuns: 40 },
    );
  });
});

describe('the file queue log', () => {
  it('ignores a line torn by a crash and keeps appending after it', async () => {
    const dir = freshDirectory();
    const first = fileStorage(dir).queue;
    await first.load();
    await first.append([event(1, 'a'), event(2, 'b')]);
    await first.close?.();
    appendFileSync(join(dir, 'queue.log'), '+{"eventId":"e-3","ev');
    const second = fileStorage(dir).queue;
    expect((await second.load()).map((e) => e.eventId)).toEqual(['e-1', 'e-2']);
    await second.append([event(4, 'd')]);
    await second.close?.();
    expect((await fileStorage(dir).queue.load()).map((e) => e.eventId)).toEqual(['e-1', 'e-2', 'e-4']);
  });

  it('compacts once removals outweigh live events, so the file stays proportional to the queue', async () => {
    const dir = freshDirectory();
    const log = fileStorage(dir).queue;
    await log.load();
    for (let round = 0; round < 30; round++) {
      const events = Array.from({ length: 100 }, (_, i) => event(round * 100 + i, 'x'.repeat(50)));
      await log.append(events);
      await log.remove(events.slice(0, 90).map((e) => e.eventId));
    }
    await log.close?.();
    const lines = readFileSync(join(dir, 'queue.log'), 'utf8').split('\n').filter(Boolean).length;
    expect(lines).toBeLessThan(30 * 101); // what the log would hold uncompacted
    expect(await fileStorage(dir).queue.load()).toHaveLength(300);
  });
});

it('promotes value from the same property names, in the same order, as the API does for Segment rows', () => {
  expect([...VALUE_PROPERTY_NAMES]).toEqual([...FieldAliases.value]);
});

describe('the localStorage default bound', () => {
  /** localStorage with the strictest reading of browsers' ~5 MiB: two bytes per UTF-16 unit of keys and values. */
  function quotaStorage(quotaBytes = 5 * 1024 * 1024) {
    const values = new Map<string, string>();
    const used = () => [...values].reduce((n, [k, v]) => n + 2 * (k.length + v.length), 0);
    return {
      used,
      getItem: (k: string) => values.get(k) ?? null,
      setItem: (k: string, v: string) => {
        const before = values.get(k);
        values.set(k, v);
        if (used() > quotaBytes) {
          if (before === undefined) values.delete(k);
          else values.set(k, before);
          throw Object.assign(new Error(`Setting the value of '${k}' exceeded the quota.`), { name: 'QuotaExceededError' });
        }
      },
      removeItem: (k: string) => void values.delete(k),
    };
  }

  it('keeps the queue below the quota: 12,000 events of ~1 KB (non-ASCII too) drop the oldest, never a QuotaExceededError', async () => {
    const storage = quotaStorage();
    const kinds: string[] = [];
    const client = new Tidemark({
      endpoint: 'http://127.0.0.1:9',
      writeKey: 'k',
      storage: localStorageStorage(storage),
      isOnline: () => false,
      onError: (e) => kinds.push(e.kind),
    });
    const text = ['x'.repeat(900), 'ü'.repeat(450), '日本'.repeat(150), '😀'.repeat(225)];
    for (let n = 0; n < 12_000; n += 1000)
      await Promise.all(Array.from({ length: 1000 }, (_, i) => client.track('big', { text: text[(n + i) % 4] })));
    await client.shutdown();
    expect(kinds).toEqual([]);
    expect(client.dropped).toBeGreaterThan(0);
    expect(client.queued + client.dropped).toBe(12_000);
    expect(storage.used()).toBeLessThan(5 * 1024 * 1024);
    const reloaded = localStorageStorage(storage).queue;
    expect(await reloaded.load()).toHaveLength(client.queued);
  });
});
