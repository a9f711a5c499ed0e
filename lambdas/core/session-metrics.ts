/**
 * Session metrics (GET /v1/sessions), computed at read time from stored events. Exact under resends
 * by construction: the events table holds each event once (a conditional put on its id), so a
 * resend never becomes a second row here, whatever batch or stream boundaries it crossed. Pure: the
 * query function reads the events, this module groups and summarizes them.
 *
 * A session is identified by (device, session id): client session ids are scoped by device, so two
 * devices sending the same id are two sessions. The synthetic `$session_start` the pipeline stores
 * is not one of the session's events (counting it would make every session at least two events long
 * and no session a bounce); a `$session_start` a client sent is an ordinary event.
 */
import type { Granularity, SessionSeriesPoint, SessionStats, SessionSummary } from '../../resources/api-answers.js';
import { ReadApi } from '../../resources/read-api.js';
import { BadRequestError } from './errors.js';
import { sessionStartEventId } from './sessions.js';
import { parseRecentRange } from './list-query.js';
import { toIso } from './timestamps.js';

/** What a session needs of a stored event. */
export type SessionEvent = {
  readonly eventId: string;
  readonly event: string;
  readonly deviceId: string;
  readonly sessionId: string;
  readonly source?: string;
  /** Corrected event time, ISO. */
  readonly timestamp: string;
};

export type SessionGroupBy = 'none' | 'source';

export type SessionQuery = {
  readonly fromMs: number;
  readonly toMs: number;
  readonly granularity: Granularity;
  readonly groupBy: SessionGroupBy;
  readonly deviceId?: string;
  /** Sessions listed in the answer, newest first. */
  readonly limit: number;
};

export function parseSessionQuery(params: Readonly<Record<string, string | undefined>>, nowMs: number): SessionQuery {
  const { fromMs, toMs } = parseRecentRange(params, nowMs, ReadApi.maxRecentRangeDays);
  const granularity = oneOf(params.granularity ?? 'day', ['hour', 'day'] as const, 'granularity');
  const groupBy = oneOf(params.groupBy ?? 'none', ['none', 'source'] as const, 'groupBy');
  const limit = params.limit === undefined ? ReadApi.defaultSessionList : Number(params.limit);
  if (!Number.isInteger(limit) || limit < 0 || limit > ReadApi.maxSessionList) {
    throw new BadRequestError(`\`limit\` must be an integer from 0 to ${ReadApi.maxSessionList}.`, 'invalid_parameter');
  }
  return { fromMs, toMs, granularity, groupBy, limit, ...(params.deviceId ? { deviceId: params.deviceId } : {}) };
}

function oneOf<T extends string>(value: string, allowed: readonly T[], name: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new BadRequestError(`\`${name}\` must be one of ${allowed.join(', ')}.`, 'invalid_parameter');
}

/** The pipeline's own `$session_start`: its id is derived from the device and session, which a client's is not. */
export const isSyntheticSessionStart = (event: SessionEvent): boolean =>
  event.eventId === sessionStartEventId(event.deviceId, event.sessionId);

/** One summary per (device, session id), in no particular order; the events may come in any order. */
export function summarizeSessions(events: Iterable<SessionEvent>): SessionSummary[] {
  type Open = { summary: SessionSummary; startMs: number; endMs: number; firstId: string };
  const open = new Map<string, Open>();
  for (const event of events) {
    if (isSyntheticSessionStart(event)) continue;
    const timeMs = Date.parse(event.timestamp);
    // Ids may hold any character a client sends: a JSON pair cannot join two different pairs into one key.
    const key = JSON.stringify([event.deviceId, event.sessionId]);
    const current = open.get(key);
    if (!current) {
      open.set(key, {
        summary: {
          deviceId: event.deviceId,
          sessionId: event.sessionId,
          source: event.source ?? null,
          start: '',
          end: '',
          durationMs: 0,
          events: 1,
        },
        startMs: timeMs,
        endMs: timeMs,
        firstId: event.eventId,
      });
      continue;
    }
    current.summary.events += 1;
    // The first event (earliest, then smallest id) names the session's source, whatever the read order.
    if (timeMs < current.startMs || (timeMs === current.startMs && event.eventId < current.firstId)) {
      current.startMs = timeMs;
      current.firstId = event.eventId;
      current.summary.source = event.source ?? null;
    }
    if (timeMs > current.endMs) current.endMs = timeMs;
  }
  return [...open.values()].map(({ summary, startMs, endMs }) => ({
    ...summary,
    start: toIso(startMs),
    end: toIso(endMs),
    durationMs: endMs - startMs,
  }));
}

export function statsOf(sessions: readonly SessionSummary[]): SessionStats {
  const count = sessions.length;
  const events = sessions.reduce((sum, s) => sum + s.events, 0);
  const bounces = sessions.filter((s) => s.events === 1).length;
  const durations = sessions.map((s) => s.durationMs).sort((a, b) => a - b);
  const totalDuration = durations.reduce((sum, d) => sum + d, 0);
  return {
    sessions: count,
    events,
    bounces,
    bounceRate: count === 0 ? 0 : bounces / count,
    averageDurationMs: count === 0 ? 0 : totalDuration / count,
    medianDurationMs: median(durations),
    eventsPerSession: count === 0 ? 0 : events / count,
  };
}

/** The middle value, or the mean of the two middle values of an even count; 0 for none. Input sorted. */
function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return 0;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Sessions per bucket of their start (and per source of their first event when grouped), oldest bucket first. */
export function sessionSeries(
  sessions: readonly SessionSummary[],
  granularity: Granularity,
  groupBy: SessionGroupBy,
): SessionSeriesPoint[] {
  const groups = new Map<string, { bucket: string; source: string | null; sessions: SessionSummary[] }>();
  for (const session of sessions) {
    // The bucket's start as ISO, as /v1/aggregates writes its buckets.
    const step = granularity === 'hour' ? 3_600_000 : 86_400_000;
    const bucket = toIso(Math.floor(Date.parse(session.start) / step) * step);
    const source = groupBy === 'source' ? session.source : null;
    const key = JSON.stringify([bucket, source]);
    const group = groups.get(key) ?? { bucket, source, sessions: [] };
    group.sessions.push(session);
    groups.set(key, group);
  }
  return [...groups.values()]
    .sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : (a.source ?? '') < (b.source ?? '') ? -1 : 1))
    .map((group) => ({ bucket: group.bucket, ...(groupBy === 'source' ? { source: group.source } : {}), ...statsOf(group.sessions) }));
}

/** Newest sessions first (by start, then device and id for a stable order). */
export const newestFirst = (a: SessionSummary, b: SessionSummary): number =>
  a.start !== b.start
    ? a.start < b.start
      ? 1
      : -1
    : a.deviceId !== b.deviceId
      ? a.deviceId < b.deviceId
        ? -1
        : 1
      : a.sessionId < b.sessionId
        ? -1
        : 1;
