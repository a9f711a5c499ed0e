/**
 * The SDK against the local runtime: 10,000 events buffered offline across a restart (file
 * storage), then online: every event lands exactly once, with its own time, in the session the
 * SDK gave it (a new one after 24 hours of unbroken activity).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DemoProject, eventually, request, startLocal, type LocalHarness } from '../../test/helpers/local.js';
import { Tidemark } from '../src/client.js';
import { fileStorage } from '../src/storage/file.js';

let local: LocalHarness;
let dir: string;
beforeAll(async () => {
  local = await startLocal();
  dir = mkdtempSync(join(tmpdir(), 'tidemark-sdk-'));
});
afterAll(async () => {
  await local?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('delivers 10,000 offline events exactly once, in their SDK sessions, after a restart', { timeout: 600_000 }, async () => {
  const start = Date.now() - 2 * 86_400_000;
  const timeOf = (i: number) => new Date(start + i * 17_000);
  const make = async (online: boolean) =>
    new Tidemark({
      endpoint: local.url,
      writeKey: DemoProject.writeKey,
      storage: fileStorage(dir),
      deviceId: 'sdk-phone',
      isOnline: () => online,
      maxQueueEvents: 20_000,
      batchSize: 500,
      flushAt: 1_000_000,
    });

  const ids: string[] = [];
  /** Tracks events `from`..`to` a thousand at a time, as an app fires them without awaiting each. */
  const trackRange = async (client: Tidemark, from: number, to: number) => {
    for (let n = from; n < to; n += 1000) {
      ids.push(
        ...(await Promise.all(
          Array.from({ length: 1000 }, (_, j) => client.track('sdk_event', { n: n + j }, { timestamp: timeOf(n + j) })),
        )),
      );
    }
  };
  const before = await make(false);
  await trackRange(before, 0, 5000);
  await before.shutdown();

  const after = await make(false);
  await after.ready();
  expect(after.queued).toBe(5000);
  await trackRange(after, 5000, 10_000);
  await after.shutdown();

  const online = await make(true);
  await online.flush();
  expect(online.queued).toBe(0);
  await online.shutdown();

  const from = new Date(start - 60_000).toISOString();
  const to = new Date(Date.now() + 60_000).toISOString();
  await eventually(
    async () => {
      const r = await request(`${local.url}/v1/aggregates?event=sdk_event&from=${from}&to=${to}`, { key: DemoProject.secretKey });
      return (r.body.series as { count: number }[]).reduce((sum, p) => sum + p.count, 0);
    },
    (count) => count >= 10_000,
    500_000,
  );
  const stored: { eventId: string; timestamp: string; sessionId: string; properties: { n: number } }[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { events: typeof stored; nextCursor: string | null } } = await request(
      `${local.url}/v1/events?deviceId=sdk-phone&event=sdk_event&from=${from}&to=${to}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      { key: DemoProject.secretKey },
    );
    stored.push(...page.body.events);
    cursor = page.body.nextCursor;
  } while (cursor);
  expect(stored).toHaveLength(10_000);
  expect(new Set(stored.map((e) => e.eventId))).toEqual(new Set(ids));
  for (const event of stored) expect(event.timestamp).toBe(timeOf(event.properties.n).toISOString());
  // Events 17 s apart never time a session out; the 24-hour maximum splits them at n = 5083.
  const byN = stored.sort((a, b) => a.properties.n - b.properties.n);
  const firstDay = new Set(byN.filter((e) => e.properties.n < 5083).map((e) => e.sessionId));
  const secondDay = new Set(byN.filter((e) => e.properties.n >= 5083).map((e) => e.sessionId));
  expect(firstDay.size).toBe(1);
  expect(secondDay.size).toBe(1);
  expect(firstDay).not.toEqual(secondDay);
});
