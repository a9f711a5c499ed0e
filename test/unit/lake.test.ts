import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeParquet } from '../../lambdas/core/lake-parquet.js';
import { lakeRowOf, parseObjectKey, UnplaceableEventError } from '../../lambdas/core/lake-rows.js';
import { eventItemContent } from '../../lambdas/core/stored-event-item.js';
import { compactClosedDays, isCompactedFile, LakeCompactionError } from '../../lambdas/lake/compact.js';
import { writeBatchToLake, type StreamedEvent } from '../../lambdas/lake/lake.js';
import { MemoryLake } from '../helpers/memory-lake.js';

const DAY_MS = 86_400_000;
const NOW = Date.parse('2024-03-10T12:00:00.000Z');

const hostileText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map((s) => `${s}#"'\\,\n`);

/** A stored event as the events table's stream carries it (properties and context as JSON text). */
const storedItem = fc.record({
  projectId: fc.constantFrom('demo', 'p_2', 'other-project'),
  event: hostileText,
  deviceId: hostileText,
  userId: fc.option(hostileText, { nil: undefined }),
  source: fc.option(hostileText, { nil: undefined }),
  value: fc.option(
    fc.oneof(fc.constant(1e12), fc.constant(-1e12), fc.constant(0.000001), fc.double({ min: -1e12, max: 1e12, noNaN: true })),
    { nil: undefined },
  ),
  timeMs: fc.integer({ min: NOW - 20 * DAY_MS, max: NOW }),
  properties: fc.dictionary(hostileText, fc.jsonValue({ maxDepth: 2 })),
  library: fc.option(hostileText, { nil: undefined }),
});

type StoredItem = typeof storedItem extends fc.Arbitrary<infer T> ? T : never;

function streamed(events: StoredItem[]): StreamedEvent[] {
  return events.map((e, i) => ({
    sequenceNumber: String(1_000_000 + i).padStart(21, '0'),
    item: {
      projectId: e.projectId,
      eventId: `id-${i}-${e.event}`,
      event: e.event,
      deviceId: e.deviceId,
      ...(e.userId === undefined ? {} : { userId: e.userId }),
      ...(e.source === undefined ? {} : { source: e.source }),
      ...(e.value === undefined ? {} : { value: e.value }),
      sessionId: `s-${i}`,
      timestamp: new Date(e.timeMs).toISOString(),
      originalTimestamp: new Date(e.timeMs - 1).toISOString(),
      receivedAt: new Date(NOW).toISOString(),
      properties: JSON.stringify({ ...e.properties, __syncedAt: new Date(NOW + 5).toISOString() }),
      ...(e.library === undefined ? {} : { context: JSON.stringify({ library: { name: e.library } }) }),
      pk: `${e.projectId}#id-${i}`,
      ts: e.timeMs,
    },
  }));
}

async function write(lake: MemoryLake, events: readonly StreamedEvent[]) {
  return writeBatchToLake(
    { firstSequenceNumber: events[0]!.sequenceNumber, lastSequenceNumber: events.at(-1)!.sequenceNumber },
    events,
    lake,
  );
}

async function allRows(lake: MemoryLake) {
  const rows = [];
  for (const [key, body] of lake.objects) {
    const where = parseObjectKey(key)!;
    for (const row of await decodeParquet(body)) rows.push({ ...where, row });
  }
  return rows;
}

/** Cuts `events` into consecutive batches at the given boundaries (as a stream mapping would). */
function cut<T>(events: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % events.length))].filter((c) => c > 0).sort((a, b) => a - b);
  return [0, ...points].map((start, i) => events.slice(start, points[i] ?? events.length));
}

describe('the lake writer', () => {
  it('writes every event once per batch, typed, in its project and UTC day, whatever the strings and numbers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(storedItem, { minLength: 1, maxLength: 25 }), async (items) => {
        // Prepare
        const lake = new MemoryLake();
        const events = streamed(items);
        // Act
        await write(lake, events);
        // Assess
        const rows = await allRows(lake);
        expect(rows).toHaveLength(events.length);
        for (const { projectId, day, fileName, row } of rows) {
          const source = events.find((e) => e.item.eventId === row.eventid)!.item;
          expect(projectId).toBe(source.projectId);
          expect(day).toBe(String(source.timestamp).slice(0, 10));
          expect(fileName).toMatch(/^batch-\d+-\d+\.parquet$/);
          expect(row).toEqual(lakeRowOf(source).row);
          expect(row.timestamp).toBeInstanceOf(Date);
          expect((row.timestamp as Date).toISOString()).toBe(source.timestamp);
          expect(row.value).toBe(source.value ?? null);
          expect(JSON.parse(String(row.properties))).toEqual(JSON.parse(String(source.properties)));
          expect((row.syncedat as Date).toISOString()).toBe(new Date(NOW + 5).toISOString());
        }
      }),
      { numRuns: 40 },
    );
  });

  it('overwrites its own objects when the same batch is delivered again', async () => {
    const lake = new MemoryLake();
    const events = streamed(fc.sample(storedItem, { numRuns: 30, seed: 7 }));
    const first = await write(lake, events);
    const before = new Map(lake.objects);
    const second = await write(lake, events);
    expect(second.objects).toEqual(first.objects);
    expect([...lake.objects.keys()]).toEqual([...before.keys()]);
    for (const [key, body] of lake.objects) expect(Buffer.from(body).equals(Buffer.from(before.get(key)!))).toBe(true);
  });

  it('writes the rest of a batch when a stored item cannot be a lake row, and names that item', async () => {
    const lake = new MemoryLake();
    const events = streamed(fc.sample(storedItem, { numRuns: 10, seed: 11 }));
    const { deviceId: _, ...withoutDevice } = events[4]!.item;
    const { timestamp: __, ...withoutTime } = events[7]!.item;
    const broken = events.map((e, i) => (i === 4 ? { ...e, item: withoutDevice } : i === 7 ? { ...e, item: withoutTime } : e));
    const outcome = await write(lake, broken);
    expect(outcome.unplaceable).toEqual([
      { key: events[4]!.item.pk, reason: 'a stored event without deviceid cannot be placed in the lake' },
      { key: events[7]!.item.pk, reason: 'a stored event without timestamp cannot be placed in the lake' },
    ]);
    const written = (await allRows(lake)).map((r) => r.row.eventid).sort();
    expect(written).toEqual(
      events
        .filter((_, i) => i !== 4 && i !== 7)
        .map((e) => e.item.eventId)
        .sort(),
    );
  });
});

describe('lake rows of stored items', () => {
  it('carry any JSON text of properties as the same value, lone surrogates (in keys too) as U+FFFD and nothing else changed', () => {
    // Any UTF-16 code unit, lone surrogates included, and the characters JSON escapes.
    const anyText = fc.string({
      unit: fc.oneof(
        fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
        fc.constantFrom('\\', '"', 'u', 'd', '8'),
      ),
    });
    const wellFormed = (value: unknown): unknown => {
      if (typeof value === 'string') return value.replace(/\p{Cs}/gu, '\ufffd');
      if (Array.isArray(value)) return value.map(wellFormed);
      if (typeof value === 'object' && value !== null)
        return Object.fromEntries(Object.entries(value).map(([key, member]) => [wellFormed(key), wellFormed(member)]));
      return value;
    };
    fc.assert(
      fc.property(
        fc.dictionary(anyText, fc.oneof(anyText, fc.array(anyText, { maxLength: 3 }), fc.double({ noNaN: true, noDefaultInfinity: true }))),
        (properties) => {
          const item = {
            projectId: 'demo',
            eventId: 'e1',
            event: 'screen',
            deviceId: 'd1',
            sessionId: 's1',
            timestamp: '2024-03-09T08:00:00.000Z',
            receivedAt: '2024-03-09T08:00:01.000Z',
            properties: JSON.stringify(properties),
          };
          const { row } = lakeRowOf(item);
          // The value the stored JSON text carries (JSON has no -0), lone surrogates as U+FFFD.
          expect(JSON.parse(String(row.properties))).toEqual(wellFormed(JSON.parse(item.properties)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads compressed properties and context and an original time left out, as the events table stores them now', () => {
    const timestamp = '2024-03-09T08:00:00.000Z';
    const properties = { screen: 'checkout', query: 'blue running shoes 42 — naïve 🎉', __syncedAt: '2024-03-09T08:00:05.000Z' };
    const context = {
      library: { name: 'tidemark-ios', version: '1.5.0' },
      os: { name: 'iOS', version: '17.4.1' },
      device: { model: 'iPhone15,2' },
    };
    const item = eventItemContent({
      projectId: 'demo',
      eventId: 'e1',
      event: 'screen_view',
      deviceId: 'd1',
      sessionId: 's1',
      timestamp,
      originalTimestamp: timestamp,
      receivedAt: '2024-03-09T08:00:01.000Z',
      properties,
      context,
      fingerprint: 'ab'.repeat(20),
    });
    expect(item.context).toBeInstanceOf(Uint8Array);
    const { row } = lakeRowOf(item);
    expect(JSON.parse(String(row.properties))).toEqual(properties);
    expect(JSON.parse(String(row.context))).toEqual(context);
    expect(row.library).toBe('tidemark-ios');
    expect(row.os).toBe('iOS');
    expect((row.originaltimestamp as Date).toISOString()).toBe(timestamp);
    expect((row.syncedat as Date).toISOString()).toBe('2024-03-09T08:00:05.000Z');
  });

  it.each([
    [{ timestamp: 'not a time' }, ['timestamp']],
    [{ eventId: 42 }, ['eventId']],
    [{ projectId: null, timestamp: '' }, ['projectId', 'timestamp']],
  ])('names what an unplaceable item lacks (%o)', (change, missing) => {
    const item = { projectId: 'demo', eventId: 'e1', timestamp: '2024-03-09T08:00:00.000Z', ...change };
    expect(() => lakeRowOf(item)).toThrow(new UnplaceableEventError(missing));
    expect(() => lakeRowOf(item)).toThrow(`without ${missing.join(', ')} cannot`);
  });
});

describe('compaction', () => {
  it('leaves one file per closed project-day holding each event once, whatever the redelivery boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(storedItem, { minLength: 1, maxLength: 30 }),
        fc.array(fc.array(fc.nat(), { maxLength: 6 }), { minLength: 1, maxLength: 3 }),
        async (items, deliveries) => {
          // Prepare: the same stream delivered several times, cut at other boundaries each time.
          const lake = new MemoryLake();
          const events = streamed(items);
          for (const cuts of deliveries) for (const batch of cut(events, cuts)) await write(lake, batch);
          const today = new Date(NOW).toISOString().slice(0, 10);
          const open = events.filter((e) => String(e.item.timestamp).startsWith(today));
          // Act
          await compactClosedDays(lake, NOW);
          // Assess
          const rows = await allRows(lake);
          const closedRows = rows.filter((r) => r.day < today);
          expect(closedRows.map((r) => r.row.eventid).sort()).toEqual(
            events
              .filter((e) => !open.includes(e))
              .map((e) => String(e.item.eventId))
              .sort(),
          );
          const closedFiles = [...lake.objects.keys()].filter((key) => parseObjectKey(key)!.day < today);
          expect(closedFiles.every(isCompactedFile)).toBe(true);
          expect(new Set(closedFiles.map((key) => key.replace(/[^/]+$/, ''))).size).toBe(closedFiles.length);
          // Today stays as written: it is still open.
          expect(new Set(rows.filter((r) => r.day === today).map((r) => r.row.eventid))).toEqual(new Set(open.map((e) => e.item.eventId)));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('folds late batches of a compacted day into its one file', async () => {
    const lake = new MemoryLake();
    const events = streamed(
      fc.sample(storedItem, { numRuns: 20, seed: 3 }).map((e) => ({ ...e, timeMs: NOW - 3 * DAY_MS, projectId: 'demo' })),
    );
    await write(lake, events.slice(0, 10));
    await compactClosedDays(lake, NOW);
    await write(lake, events.slice(5));
    const [outcome] = await compactClosedDays(lake, NOW);
    expect(outcome).toMatchObject({ filesRead: 2, rowsRead: 25, rowsWritten: 20 });
    expect([...lake.objects.keys()]).toHaveLength(1);
    expect(await compactClosedDays(lake, NOW)).toEqual([]);
  });

  it('loses nothing when two compactions of one day overlap and the one that listed fewer files writes last', async () => {
    // Prepare: a closed day with one batch; the first compaction lists it and is held before writing.
    const lake = new MemoryLake();
    const events = streamed(
      fc.sample(storedItem, { numRuns: 12, seed: 7 }).map((e) => ({ ...e, timeMs: NOW - 2 * DAY_MS, projectId: 'demo' })),
    );
    await write(lake, events.slice(0, 6));
    let releaseFirst!: () => void;
    const firstMayWrite = new Promise<void>((resolve) => (releaseFirst = resolve));
    const held = Object.assign(Object.create(lake) as MemoryLake, {
      put: async (key: string, body: Uint8Array) => {
        await firstMayWrite;
        return lake.put(key, body);
      },
    });
    const first = compactClosedDays(held, NOW);
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Act: a late batch lands, a second compaction folds both batches and deletes them, then the first writes.
    await write(lake, events.slice(6));
    await compactClosedDays(lake, NOW);
    releaseFirst();
    await first;
    // Assess: every event is still in the day (two compacted files until the next run), and the next run leaves one.
    const ids = async () => new Set((await allRows(lake)).map((r) => String(r.row.eventid)));
    expect(await ids()).toEqual(new Set(events.map((e) => String(e.item.eventId))));
    await compactClosedDays(lake, NOW);
    expect([...lake.objects.keys()]).toHaveLength(1);
    expect(await ids()).toEqual(new Set(events.map((e) => String(e.item.eventId))));
  });

  it('keeps a batch that lands between its list and its delete, for the next run to fold in', async () => {
    const lake = new MemoryLake();
    const events = streamed(
      fc.sample(storedItem, { numRuns: 9, seed: 13 }).map((e) => ({ ...e, timeMs: NOW - 2 * DAY_MS, projectId: 'demo' })),
    );
    await write(lake, events.slice(0, 5));
    const landing = Object.assign(Object.create(lake) as MemoryLake, {
      put: async (key: string, body: Uint8Array) => {
        await lake.put(key, body);
        await write(lake, events.slice(5));
      },
    });
    await compactClosedDays(landing, NOW);
    expect((await allRows(lake)).map((r) => r.row.eventid).sort()).toEqual(events.map((e) => String(e.item.eventId)).sort());
    await compactClosedDays(lake, NOW);
    expect([...lake.objects.keys()].map(isCompactedFile)).toEqual([true]);
    expect((await allRows(lake)).map((r) => r.row.eventid).sort()).toEqual(events.map((e) => String(e.item.eventId)).sort());
  });

  it('folds a day holding only the legacy compacted.parquet and new batches into one new compacted file', async () => {
    const lake = new MemoryLake();
    const events = streamed(
      fc.sample(storedItem, { numRuns: 10, seed: 5 }).map((e) => ({ ...e, timeMs: NOW - 4 * DAY_MS, projectId: 'demo' })),
    );
    const [written] = (await write(lake, events.slice(0, 6))).objects;
    const legacy = written!.replace(/[^/]+$/, 'compacted.parquet');
    lake.objects.set(legacy, lake.objects.get(written!)!);
    lake.objects.delete(written!);
    await write(lake, events.slice(4));
    expect(await compactClosedDays(lake, NOW)).toEqual([expect.objectContaining({ filesRead: 2, rowsRead: 12, rowsWritten: 10 })]);
    const keys = [...lake.objects.keys()];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/\/compacted-[0-9a-f]{16}\.parquet$/);
    expect((await allRows(lake)).map((r) => r.row.eventid).sort()).toEqual(events.map((e) => String(e.item.eventId)).sort());
  });

  it('loses nothing and ends with one file per day when a run crashes between its put and its delete', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(storedItem, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 5 }), async (items, cuts) => {
        // Prepare: batches, and a first run whose first delete throws after its put (a timeout, a crash).
        const lake = new MemoryLake();
        const events = streamed(items);
        for (const batch of cut(events, cuts)) await write(lake, batch);
        const closed = events.filter((e) => String(e.item.timestamp).slice(0, 10) < new Date(NOW).toISOString().slice(0, 10));
        const crashing = Object.assign(Object.create(lake) as MemoryLake, {
          delete: async () => {
            throw new Error('crashed');
          },
        });
        // Act
        const crashed = await compactClosedDays(crashing, NOW).catch((error: unknown) => error);
        await compactClosedDays(lake, NOW);
        // Assess: the crashed run failed; the next left each closed day one file, holding each of its events once.
        expect(closed.length === 0 || crashed instanceof LakeCompactionError).toBe(true);
        const rows = (await allRows(lake)).filter((r) => closed.some((e) => e.item.eventId === r.row.eventid));
        expect(rows.map((r) => r.row.eventid).sort()).toEqual(closed.map((e) => String(e.item.eventId)).sort());
        const closedFiles = [...lake.objects.keys()].filter((key) => rows.some((r) => key.includes(`/dt=${r.day}/`)));
        expect(closedFiles.every(isCompactedFile)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('compacts every other project-day when one holds a file that is not Parquet, and leaves that day as it was', async () => {
    // Prepare: project `demo` (listed first) has an empty file and a batch on a closed day; `p_2` has two.
    const lake = new MemoryLake();
    const closed = fc.sample(storedItem, { numRuns: 8, seed: 11 }).map((e) => ({ ...e, timeMs: NOW - 2 * DAY_MS }));
    const events = streamed(closed.map((e, i) => ({ ...e, projectId: i < 4 ? 'demo' : 'p_2' })));
    for (const batch of cut(events, [2, 4, 6])) await write(lake, batch);
    const day = new Date(NOW - 2 * DAY_MS).toISOString().slice(0, 10);
    const broken = `events/project=demo/dt=${day}/batch-0-0.parquet`;
    await lake.put(broken, new Uint8Array(0));
    const filesOfDemo = [...lake.objects.keys()].filter((key) => key.includes('project=demo/'));
    // Act
    const error = await compactClosedDays(lake, NOW).catch((e: unknown) => e);
    // Assess: `p_2` is one file with its four events; `demo` is untouched, and the error names the file.
    expect(error).toBeInstanceOf(LakeCompactionError);
    const { compacted, failed, message } = error as LakeCompactionError;
    expect(compacted.map((o) => o.partition)).toEqual([{ projectId: 'p_2', day }]);
    expect(failed.map((f) => f.partition)).toEqual([{ projectId: 'demo', day }]);
    expect(message).toContain(broken);
    expect([...lake.objects.keys()].filter((key) => key.includes('project=demo/'))).toEqual(filesOfDemo);
    const filesOfP2 = [...lake.objects.keys()].filter((key) => key.includes('project=p_2/'));
    expect(filesOfP2.map(isCompactedFile)).toEqual([true]);
    const rowsOfP2 = await decodeParquet(lake.objects.get(filesOfP2[0]!)!);
    expect(rowsOfP2.map((row) => row.eventid).sort()).toEqual(
      events
        .slice(4)
        .map((e) => String(e.item.eventId))
        .sort(),
    );
  });
});
