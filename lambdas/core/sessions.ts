/**
 * Sessions are derived from when events happened, not when they arrived: a week of buffered events
 * from one device yields the sessions of that week.
 */
import { sha256Hex } from './event-id.js';
import type { StoredEvent } from './types.js';

/** The 30-minute (by default) bucket an event time falls in. */
export const sessionBucket = (eventTimeMs: number, sessionLengthMs: number): number =>
  Math.floor(eventTimeMs / sessionLengthMs);

/** Deterministic: the same device and bucket always give the same id, whichever processor sees it first. */
export function sessionIdFor(projectId: string, deviceId: string, eventTimeMs: number, sessionLengthMs: number): string {
  const bucket = sessionBucket(eventTimeMs, sessionLengthMs);
  return `s-${sha256Hex(`${projectId}\u0000${deviceId}\u0000${bucket}`).slice(0, 32)}`;
}

/** The one `session_start` a session may have; its id is derived from the session, so it is stored once. */
export const sessionStartEventId = (sessionId: string): string => `session_start-${sessionId}`;
export const SESSION_START = 'session_start';

/** Live events move a device's live state; historical ones (older than the live window) never do. */
export const isLive = (eventTimeMs: number, nowMs: number, liveWindowMs: number): boolean =>
  nowMs - eventTimeMs <= liveWindowMs;

/** The first event of each session among `events` (earliest event time, then eventId for a stable tie-break). */
export function firstEventPerSession(events: readonly StoredEvent[]): StoredEvent[] {
  const first = new Map<string, StoredEvent>();
  for (const event of events) {
    const current = first.get(event.sessionId);
    if (
      !current ||
      event.timestamp < current.timestamp ||
      (event.timestamp === current.timestamp && event.eventId < current.eventId)
    ) {
      first.set(event.sessionId, event);
    }
  }
  return [...first.values()];
}

/** The `session_start` of the session that `first` opens, stamped 1 ms before it. */
export function sessionStartFor(first: StoredEvent): StoredEvent {
  const start: StoredEvent = {
    projectId: first.projectId,
    eventId: sessionStartEventId(first.sessionId),
    event: SESSION_START,
    deviceId: first.deviceId,
    sessionId: first.sessionId,
    timestamp: new Date(Date.parse(first.timestamp) - 1).toISOString(),
    originalTimestamp: new Date(Date.parse(first.originalTimestamp) - 1).toISOString(),
    receivedAt: first.receivedAt,
    properties: { firstEventId: first.eventId },
  };
  if (first.userId !== undefined) start.userId = first.userId;
  if (first.source !== undefined) start.source = first.source;
  if (first.context !== undefined) start.context = first.context;
  return start;
}
