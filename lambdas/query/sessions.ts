/**
 * GET /v1/sessions: reads the stored events of the range (one device's, or the project's) and
 * summarizes their sessions (core/session-metrics.ts). The read is bounded: a range holding more
 * stored events than `ReadApi.maxSessionEventsRead` is refused with a reason rather than answered slowly
 * or partly (docs/sessions.md, "Limits").
 */
import { Limits, ReadApi, type SessionsAnswer } from '../../resources/index.js';
import type { DayCursor } from '../core/day-range.js';
import { BadRequestError } from '../core/errors.js';
import type { EventListing } from './ports.js';
import { newestFirst, sessionSeries, statsOf, summarizeSessions, type SessionEvent, type SessionQuery } from '../core/session-metrics.js';

export async function sessionMetrics(projectId: string, query: SessionQuery, events: EventListing): Promise<SessionsAnswer> {
  const read: SessionEvent[] = [];
  let cursor: DayCursor | undefined;
  do {
    const page = await events.list({
      projectId,
      fromMs: query.fromMs,
      toMs: query.toMs,
      limit: ReadApi.maxListLimit,
      ...(query.deviceId ? { deviceId: query.deviceId } : {}),
      ...(cursor ? { cursor } : {}),
    });
    read.push(...page.events);
    if (read.length > ReadApi.maxSessionEventsRead) {
      throw new BadRequestError(
        `The range holds more than ${ReadApi.maxSessionEventsRead} stored events, the most /v1/sessions reads; narrow the range or filter by deviceId.`,
        'too_many_events',
      );
    }
    cursor = page.nextCursor;
  } while (cursor);
  const sessions = summarizeSessions(read);
  const answer = {
    granularity: query.granularity,
    from: new Date(query.fromMs).toISOString(),
    to: new Date(query.toMs).toISOString(),
    ...(query.deviceId ? { deviceId: query.deviceId } : {}),
    total: statsOf(sessions),
    series: sessionSeries(sessions, query.granularity, query.groupBy),
    sessions: sessions.sort(newestFirst).slice(0, query.limit),
  };
  // Lambda's response is capped at 6 MB (API Gateway would answer 502): many sources with long names,
  // grouped by source per hour, can pass it well inside the read limit.
  const bytes = Buffer.byteLength(JSON.stringify(answer));
  if (bytes > Limits.maxResponseBytes) {
    throw new BadRequestError(
      `The answer would be ${bytes} bytes, over the ${Limits.maxResponseBytes} a response carries (maxResponseBytes); use granularity=day, groupBy=none, a smaller limit or a narrower range.`,
      'response_too_large',
    );
  }
  return answer;
}
