/**
 * A device's sessions over a range, summarized from its stored events: what `GET
 * /v1/devices/{deviceId}/sessions` answers. The API reads the events a page at a time; a session can
 * straddle two pages, so summaries merge by session id, and a client following `nextCursor` merges
 * the pages' summaries the same way.
 */
import type { DeviceSession } from '../../resources/api-answers.js';

type Timed = { readonly sessionId: string; readonly timestamp: string };

/** Folds `events` into `sessions` (keyed by session id); ISO times of one format compare as strings. */
export function addToSessions(sessions: Map<string, DeviceSession>, events: readonly Timed[]): void {
  for (const { sessionId, timestamp } of events) {
    const known = sessions.get(sessionId);
    sessions.set(
      sessionId,
      known
        ? {
            sessionId,
            firstEventAt: timestamp < known.firstEventAt ? timestamp : known.firstEventAt,
            lastEventAt: timestamp > known.lastEventAt ? timestamp : known.lastEventAt,
            events: known.events + 1,
          }
        : { sessionId, firstEventAt: timestamp, lastEventAt: timestamp, events: 1 },
    );
  }
}

/** Newest session first, as every listing of the API. */
export const newestFirst = (sessions: Iterable<DeviceSession>): DeviceSession[] =>
  [...sessions].sort((a, b) =>
    a.lastEventAt < b.lastEventAt ? 1 : a.lastEventAt > b.lastEventAt ? -1 : a.sessionId.localeCompare(b.sessionId),
  );
