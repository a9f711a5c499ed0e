/** The lake's daily compaction: the handler the schedule invokes, and the local schedule that invokes it. */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeBatchToLake } from '../../lambdas/lake/lake.js';
import { inTurn, isCompactedFile } from '../../lambdas/lake/compact.js';
import { createCompactionHandler } from '../../lambdas/lake/compaction-handler.js';
import { nextDailyRunMs, startDailySchedule } from '../../local/daily-schedule.js';
import { invoke } from '../../local/invoke.js';
import { LakeCompaction } from '../../resources/index.js';
import { MemoryLake } from '../helpers/memory-lake.js';

const DAY_MS = 86_400_000;
const at = { hourUtc: LakeCompaction.hourUtc, minuteUtc: LakeCompaction.minuteUtc };

/** One stream batch of `count` events of `project` on `day`, written as the lake writer writes it. */
async function batch(lake: MemoryLake, project: string, day: string, first: number, count: number) {
  const events = Array.from({ length: count }, (_, i) => ({
    sequenceNumber: String(first + i).padStart(21, '0'),
    item: {
      projectId: project,
      eventId: `${project}-${day}-${first + i}`,
      event: 'screen',
      deviceId: 'd1',
      sessionId: 's1',
      timestamp: `${day}T10:00:00.000Z`,
      receivedAt: `${day}T10:00:01.000Z`,
      properties: '{}',
    },
  }));
  await writeBatchToLake(
    { firstSequenceNumber: events[0]!.sequenceNumber, lastSequenceNumber: events.at(-1)!.sequenceNumber },
    events,
    lake,
  );
}

const filesOf = (lake: MemoryLake, day: string) => [...lake.objects.keys()].filter((key) => key.includes(`/dt=${day}/`));

describe('nextDailyRunMs', () => {
  it('is the next 01:30 UTC strictly after now, whatever now is', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2040-01-01') }), (now) => {
        const next = nextDailyRunMs(now, at);
        expect(next).toBeGreaterThan(now);
        expect(next - now).toBeLessThanOrEqual(DAY_MS);
        expect(new Date(next).toISOString().slice(11)).toBe('01:30:00.000Z');
      }),
    );
    expect(nextDailyRunMs(Date.parse('2026-12-06T01:30:00.000Z'), at)).toBe(Date.parse('2026-12-07T01:30:00.000Z'));
    expect(nextDailyRunMs(Date.parse('2026-12-06T01:29:59.999Z'), at)).toBe(Date.parse('2026-12-06T01:30:00.000Z'));
  });
});

describe('the compaction handler', () => {
  it('compacts the days closed at the scheduled time, not at the time it runs', async () => {
    // Prepare: batches on 12-04 and 12-05; the run scheduled at 12-05 01:30 is retried a day late.
    const lake = new MemoryLake();
    await batch(lake, 'demo', '2026-12-04', 1, 3);
    await batch(lake, 'demo', '2026-12-04', 4, 2);
    await batch(lake, 'demo', '2026-12-05', 6, 2);
    const handler = createCompactionHandler(() => lake);
    // Act
    const summary = await invoke('compaction', handler, { time: '2026-12-05T01:30:00Z' }, LakeCompaction.timeoutSeconds);
    // Assess: 12-04 was closed then; 12-05 was not, and stays as written.
    expect(summary).toEqual({ days: 1, filesRead: 2, rowsWritten: 5 });
    expect(filesOf(lake, '2026-12-04').map((key) => isCompactedFile(key))).toEqual([true]);
    expect(filesOf(lake, '2026-12-05').some(isCompactedFile)).toBe(false);
  });

  it('starts no further day once less than the reserve is left, and the next run goes on from there', async () => {
    const lake = new MemoryLake();
    for (const [i, day] of ['2026-12-01', '2026-12-02', '2026-12-03'].entries()) {
      await batch(lake, 'demo', day, i * 10 + 1, 2);
      await batch(lake, 'demo', day, i * 10 + 3, 2);
    }
    const handler = createCompactionHandler(() => lake);
    const event = { time: '2026-12-05T01:30:00Z' };
    // The first check finds just more than the reserve left, every later one less: one day is compacted.
    let checks = 0;
    const context = { getRemainingTimeInMillis: () => (checks++ === 0 ? LakeCompaction.stopReserveSeconds * 1000 + 1 : 0) } as never;
    const runOutOfTime = handler as unknown as (e: typeof event, c: never) => Promise<{ days: number }>;
    expect((await runOutOfTime(event, context)).days).toBe(1);
    const next = (await invoke('compaction', handler, event, LakeCompaction.timeoutSeconds)) as { days: number };
    expect(next.days).toBe(2);
    for (const day of ['2026-12-01', '2026-12-02', '2026-12-03']) expect(filesOf(lake, day).map(isCompactedFile)).toEqual([true]);
  });
  it('fails the invocation (so its errors alarm fires) only after compacting every day it could', async () => {
    const lake = new MemoryLake();
    await batch(lake, 'demo', '2026-12-03', 1, 2);
    await lake.put('events/project=demo/dt=2026-12-03/batch-9-9.parquet', new TextEncoder().encode('not parquet'));
    await batch(lake, 'demo', '2026-12-04', 3, 2);
    await batch(lake, 'demo', '2026-12-04', 5, 2);
    const handler = createCompactionHandler(() => lake);
    await expect(invoke('compaction', handler, { time: '2026-12-05T01:30:00Z' }, LakeCompaction.timeoutSeconds)).rejects.toThrow(
      /1 project-days not compacted \(1 were\): demo 2026-12-03: .*batch-9-9\.parquet/,
    );
    expect(filesOf(lake, '2026-12-03')).toHaveLength(2);
    expect(filesOf(lake, '2026-12-04').map(isCompactedFile)).toEqual([true]);
  });
});

describe('the order of days in a run', () => {
  it('puts every waiting day first once in as many runs as there are days, so a day that kills a run cannot block the others', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 20_000 }), (waiting, firstRunDay) => {
        const days = Array.from({ length: waiting }, (_, i) => `day-${i}`);
        const firsts = Array.from({ length: waiting }, (_, run) => inTurn(days, (firstRunDay + run) * DAY_MS)[0]);
        expect(new Set(firsts).size).toBe(waiting);
        expect(inTurn(days, firstRunDay * DAY_MS).sort()).toEqual([...days].sort());
      }),
    );
  });
});

describe('the local daily schedule', () => {
  afterEach(() => vi.useRealTimers());

  it('invokes the handler at the scheduled time with that time as the event time, then again a day later', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-12-06T01:29:00.000Z') });
    const times: string[] = [];
    const stop = startDailySchedule({
      functionName: 'compaction',
      handler: async (event) => times.push(event.time),
      at,
      timeoutSeconds: 60,
      onError: (error) => {
        throw error;
      },
    });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(times).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(times).toEqual(['2026-12-06T01:30:00.000Z']);
    await vi.advanceTimersByTimeAsync(DAY_MS);
    expect(times).toEqual(['2026-12-06T01:30:00.000Z', '2026-12-07T01:30:00.000Z']);
    await stop();
    await vi.advanceTimersByTimeAsync(2 * DAY_MS);
    expect(times).toHaveLength(2);
  });
});
