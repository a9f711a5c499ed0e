/**
 * Hostile values through the lake: every string a device may send (NUL, quotes, backslashes,
 * newlines, 4-byte UTF-8), values at the numeric contract's edges, properties near the event size
 * limit, and event times at the ends of the calendar and on day boundaries, written in stream
 * batches cut at any boundaries, read through DuckDB's `events` view before and after compaction.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../cli/lake/duckdb-engine.js';
import { compactClosedDays } from '../../lambdas/lake/compact.js';
import { writeBatchToLake } from '../../lambdas/lake/lake.js';
import { FileLakeObjects } from '../../local/file-lake-objects.js';
import { Limits } from '../../resources/index.js';

const NOW = Date.parse('2026-12-06T12:00:00.000Z');

const hostileText = fc
  .array(fc.constantFrom('\u0000', "'", '"', '\\', '\n', '\r\n', '😀', '𝄞', 'ü', '%', '/', '=', '..', ' ', 'a', '\u2028', '\t'), {
    minLength: 1,
    maxLength: 12,
  })
  .map((parts) => parts.join(''));

const eventTime = fc.oneof(
  fc.constantFrom(
    0,
    Date.parse('9999-12-31T23:59:59.999Z'),
    Date.parse('2026-12-05T00:00:00.000Z'),
    Date.parse('2026-12-04T23:59:59.999Z'),
    Date.parse('2016-12-31T23:59:59.999Z'),
    NOW,
  ),
  fc.integer({ min: 0, max: NOW }),
);

const value = fc.option(
  fc.oneof(
    fc.constantFrom(Limits.maxAbsValue, -Limits.maxAbsValue, 0.000001, -0.000001, 0),
    fc.integer({ min: -1e6, max: 1e6 }).map((micro) => micro / 1e6),
  ),
  { nil: undefined },
);

const storedEvent = fc.record({
  projectId: fc.constantFrom('demo', 'p_2', 'a-b'),
  event: hostileText,
  deviceId: hostileText,
  userId: fc.option(hostileText, { nil: undefined }),
  value,
  timeMs: eventTime,
  note: hostileText,
  padding: fc.constantFrom(0, 30_000),
});

type StoredEvent = typeof storedEvent extends fc.Arbitrary<infer T> ? T : never;

function streamItems(events: readonly StoredEvent[]) {
  return events.map((e, i) => ({
    sequenceNumber: String(5_000_000 + i).padStart(21, '0'),
    item: {
      projectId: e.projectId,
      eventId: `${i}-${e.event}`,
      event: e.event,
      deviceId: e.deviceId,
      ...(e.userId === undefined ? {} : { userId: e.userId }),
      ...(e.value === undefined ? {} : { value: e.value }),
      sessionId: `s-${i}`,
      timestamp: new Date(e.timeMs).toISOString(),
      receivedAt: new Date(NOW).toISOString(),
      properties: JSON.stringify({ note: e.note, pad: 'x'.repeat(e.padding) }),
    },
  }));
}

const SNAPSHOT = `SELECT project, dt, eventid, event, deviceid, userid, value, strftime("timestamp", '%Y-%m-%dT%H:%M:%S.%g') AS ts, properties->>'$.note' AS note, length(properties) AS props FROM events ORDER BY project, eventid`;

async function snapshot(lakeDir: string) {
  const engine = await DuckDbEngine.open(lakeDir);
  try {
    return (await engine.query(SNAPSHOT)).rows;
  } finally {
    await engine.close();
  }
}

describe('hostile values through the lake', () => {
  it('land once each in their project and UTC day, typed and unchanged, and compaction changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(storedEvent, { minLength: 1, maxLength: 12 }),
        fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: 1, maxLength: 3 }),
        async (events, deliveries) => {
          const lakeDir = mkdtempSync(join(tmpdir(), 'tidemark-lake-'));
          try {
            // Prepare: the stream delivered several times, cut at other boundaries each time.
            const lake = new FileLakeObjects(lakeDir);
            const items = streamItems(events);
            for (const cuts of deliveries) {
              const points = [...new Set(cuts.map((c) => c % items.length))].filter((c) => c > 0).sort((a, b) => a - b);
              for (const [i, start] of [0, ...points].entries()) {
                const batch = items.slice(start, points[i] ?? items.length);
                await writeBatchToLake(
                  { firstSequenceNumber: batch[0]!.sequenceNumber, lastSequenceNumber: batch.at(-1)!.sequenceNumber },
                  batch,
                  lake,
                );
              }
            }
            // Act
            const before = await snapshot(lakeDir);
            await compactClosedDays(lake, NOW);
            const after = await snapshot(lakeDir);
            // Assess
            const expected = items
              .map(({ item }, i) => [
                item.projectId,
                item.timestamp.slice(0, 10),
                item.eventId,
                item.event,
                item.deviceId,
                item.userId ?? null,
                item.value ?? null,
                item.timestamp.slice(0, 23),
                events[i]!.note,
                String([...item.properties].length),
              ])
              .sort((a, b) => String(a[0]).localeCompare(String(b[0])) || (String(a[2]) < String(b[2]) ? -1 : 1));
            expect(before).toEqual(expected);
            expect(after).toEqual(before);
          } finally {
            rmSync(lakeDir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
