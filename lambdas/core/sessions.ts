/**
 * Sessions are derived from when events happened, not when they arrived: a week of buffered events
 * from one device yields the sessions of that week.
 */
import { sha256Hex } from './event-id.js';
import type { StoredEvent } from './types.js';

/** The 30-minute (by default) bucket an event time falls in. */
export const sessionBucket = (eventTimeMs: number, sessionLengthMs: number): number => Math.floor(eventTimeMs / sessionLengthMs);

/** Deterministic: the same device and bucket always give the same id, whichever processor sees it first. */
export function sessionIdFor(projectId: string, deviceId: string, eventTimeMs: number, sessionLengthMs: number): string {
  const bucket = sessionBucket(eventTimeMs, sessionLengthMs);
  return `s-${sha256Hex(`${projectId}\u0000${deviceId}\u0000${bucket}`).slice(0, 32)}`;
}

/**
 * The one synthetic start a session may have; its id is derived from the device and the session
 * (client session ids are scoped by device), so it is stored once.
 */
export const sessionStartEventId = (deviceId: string, sessionId: string): string =>
  `session_start-${sha256Hex(`${deviceId}\u0000${sessionId}`).slice(0, 32)}`;
/**
 * The synthetic start's name. Reserved-looking (`$`, as Mixpanel and PostHog name their own events)
 * so it is never counted with a `session_start` a client sends (Firebase and Amplitude send one).
 */
export const SYNTHETIC_SESSION_START = '$session_start';

/** Live events move a device's live state; historical ones (older than the live window) never do. */
export const isLive = (eventTimeMs: number, nowMs: number, liveWindowMs: number): boolean => nowMs - eventTimeMs <= liveWindowMs;

/**
 * The first event of each (device, session) among `events` (earliest event time, then eventId for a
 * stable tie-break). Keyed by the device too: a queue message holds one device today, but a client
 * session id is only unique within its device, whatever a message holds.
 */
export function firstEventPerSession(events: readonly StoredEvent[]): StoredEvent[] {
  const first = new Map<string, StoredEvent>();
  for (const event of events) {
    const key = JSON.stringify([event.deviceId, event.sessionId]);
    const current = first.get(key);
    if (!current || event.timestamp < current.timestamp || (event.timestamp === current.timestamp && event.eventId < current.eventId)) {
      first.set(key, event);
    }
  }
  return [...first.values()];
}

/**
 * The synthetic start of the session that `first` opens, stamped at `max(first - 1 ms, bucket start)`:
 * 1 ms before it, but never in an earlier session bucket, or counter hour or day, than its first event.
 */
export function sessionStartFor(first: StoredEvent, sessionLengthMs: number): StoredEvent {
  const firstMs = Date.parse(first.timestamp);
  const startMs = Math.max(firstMs - 1, sessionBucket(firstMs, sessionLengthMs) * sessionLengthMs, firstMs - (firstMs % 3_600_000));
  const start: StoredEvent = {
    projectId: first.projectId,
    eventId: sessionStartEventId(first.deviceId, first.sessionId),
    event: SYNTHETIC_SESSION_START,
    deviceId: first.deviceId,
    sessionId: first.sessionId,
    timestamp: new Date(startMs).toISOString(),
    originalTimestamp: new Date(Date.parse(first.originalTimestamp) - (firstMs - startMs)).toISOString(),
    receivedAt: first.receivedAt,
    properties: { firstEventId: first.eventId, synthetic: true },
  };
  if (first.userId !== undefined) start.userId = first.userId;
  if (first.source !== undefined) start.source = first.source;
  if (first.context !== undefined) start.context = first.context;
  return start;
}
