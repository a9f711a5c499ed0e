/** Session metrics from stored events: grouping by (device, session), the synthetic start left out, stats that match a direct count. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSessionQuery, sessionSeries, statsOf, summarizeSessions, type SessionEvent } from '../../lambdas/core/session-metrics.js';
import { sessionStartEventId, SYNTHETIC_SESSION_START } from '../../lambdas/core/sessions.js';

const T0 = Date.parse('2024-01-20T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const ev = (deviceId: string, sessionId: string, minutes: number, extra: Partial<SessionEvent> = {}): SessionEvent => ({
  eventId: `${deviceId}/${sessionId}/${minutes}/${extra.event ?? 'e'}`,
  event: 'e',
  deviceId,
  sessionId,
  timestamp: at(minutes),
  ...extra,
});

// Hostile ids: separators, quotes, non-ASCII, NULs.
const id = fc.constantFrom('a', 'b', 'a#b', 'a\u0000b', '"', 'é', '🙂', 'x"]["y');
const storedEvents = fc
  .uniqueArray(
    fc.record({
      deviceId: id,
      sessionId: id,
      minute: fc.integer({ min: 0, max: 3000 }),
      source: fc.option(fc.constantFrom('ios', 'web'), { nil: undefined }),
    }),
    { selector: (e) => JSON.stringify([e.deviceId, e.sessionId, e.minute]), maxLength: 60 },
  )
  .map((rows) => rows.map((r) => ev(r.deviceId, r.sessionId, r.minute, r.source === undefined ? {} : { source: r.source })));

describe('summarizeSessions', () => {
  it('scopes a session id by device: one id on two devices is two sessions', () => {
    const sessions = summarizeSessions([ev('phone', 's1', 0), ev('tablet', 's1', 5), ev('phone', 's1', 10)]);
    expect(sessions.map((s) => [s.deviceId, s.events, s.durationMs]).sort()).toEqual([
      ['phone', 2, 600_000],
      ['tablet', 1, 0],
    ]);
  });

  it("leaves out the pipeline's $session_start but counts one a client sent", () => {
    const synthetic = { ...ev('d', 's', -1, { event: SYNTHETIC_SESSION_START }), eventId: sessionStartEventId('d', 's') };
    const clientSent = ev('d', 's', 0, { event: SYNTHETIC_SESSION_START });
    const [session] = summarizeSessions([synthetic, clientSent, ev('d', 's', 4)]);
    expect(session).toMatchObject({ start: at(0), end: at(4), events: 2, durationMs: 240_000 });
  });

  it('gives the same sessions whatever order the events are read in', () => {
    const inTwoOrders = storedEvents.chain((events) =>
      fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length })),
    );
    fc.assert(
      fc.property(inTwoOrders, ([events, shuffled]) => {
        const key = (s: { deviceId: string; sessionId: string }) => JSON.stringify([s.deviceId, s.sessionId]);
        const sorted = (list: ReturnType<typeof summarizeSessions>) => list.sort((a, b) => key(a).localeCompare(key(b)));
        expect(sorted(summarizeSessions(shuffled))).toEqual(sorted(summarizeSessions(events)));
      }),
    );
  });

  it('matches a direct count of each session: events, first and last time, source of the first event', () => {
    fc.assert(
      fc.property(storedEvents, (events) => {
        for (const session of summarizeSessions(events)) {
          const mine = events.filter((e) => e.deviceId === session.deviceId && e.sessionId === session.sessionId);
          const times = mine.map((e) => Date.parse(e.timestamp));
          const first = mine
            .filter((e) => Date.parse(e.timestamp) === Math.min(...times))
            .sort((a, b) => (a.eventId < b.eventId ? -1 : 1))[0]!;
          expect(session).toEqual({
            deviceId: session.deviceId,
            sessionId: session.sessionId,
            source: first.source ?? null,
            start: new Date(Math.min(...times)).toISOString(),
            end: new Date(Math.max(...times)).toISOString(),
            durationMs: Math.max(...times) - Math.min(...times),
            events: mine.length,
          });
        }
        expect(summarizeSessions(events).reduce((n, s) => n + s.events, 0)).toBe(events.length);
      }),
    );
  });
});

describe('statsOf and sessionSeries', () => {
  it('computes average and median duration, events per session and bounce rate', () => {
    const sessions = summarizeSessions([
      ev('a', '1', 0),
      ev('b', '1', 0),
      ev('b', '1', 10),
      ev('c', '1', 0),
      ev('c', '1', 30),
      ev('c', '1', 31),
      ev('d', '1', 2),
      ev('d', '1', 4),
    ]);
    expect(statsOf(sessions)).toEqual({
      sessions: 4,
      events: 8,
      bounces: 1,
      bounceRate: 0.25,
      averageDurationMs: ((0 + 10 + 31 + 2) * 60_000) / 4,
      medianDurationMs: ((2 + 10) * 60_000) / 2,
      eventsPerSession: 2,
    });
    expect(statsOf([])).toMatchObject({ sessions: 0, bounceRate: 0, averageDurationMs: 0, medianDurationMs: 0 });
  });

  it('puts a session in the bucket of its start, broken down by the source of its first event', () => {
    const sessions = summarizeSessions([
      ev('a', '1', 50, { source: 'ios' }),
      ev('a', '1', 70, { source: 'web' }),
      ev('b', '1', 65),
      ev('c', '1', 61, { source: 'ios' }),
    ]);
    const series = sessionSeries(sessions, 'hour', 'source');
    expect(series.map((p) => [p.bucket, p.source, p.sessions, p.events])).toEqual([
      ['2024-01-20T10:00:00.000Z', 'ios', 1, 2],
      ['2024-01-20T11:00:00.000Z', null, 1, 1],
      ['2024-01-20T11:00:00.000Z', 'ios', 1, 1],
    ]);
    expect(sessionSeries(sessions, 'day', 'none')).toEqual([{ bucket: '2024-01-20T00:00:00.000Z', ...statsOf(sessions) }]);
  });
});

describe('parseSessionQuery', () => {
  it('defaults to the last day by day, and refuses what it cannot answer with a reason', () => {
    expect(parseSessionQuery({}, T0)).toEqual({
      fromMs: T0 + 1 - 86_400_000,
      toMs: T0 + 1,
      granularity: 'day',
      groupBy: 'none',
      limit: 50,
    });
    expect(() => parseSessionQuery({ from: at(0), to: at(60 * 24 * 40) }, T0)).toThrow(/31 days/);
    expect(() => parseSessionQuery({ groupBy: 'event' }, T0)).toThrow(/groupBy/);
    expect(() => parseSessionQuery({ limit: '5000' }, T0)).toThrow(/limit/);
  });
});
