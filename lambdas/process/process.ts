/**
 * The processor use case for one queue message (one device's rows): store every event once, then
 * derive sessions, each new session's synthetic start and the device's live state from what was
 * stored, never from a resend's copy: a duplicate whose stored copy differs (another skew
 * correction, another clamp) contributes nothing.
 */
import { InFlight, Limits } from '../../resources/index.js';
import { mapWithConcurrency } from '../core/concurrency.js';
import { enrichEvent } from '../core/enrich.js';
import type { EventMessageBody } from '../core/packing.js';
import { firstEventPerSession, isLive, sessionIdFor, sessionStartFor } from '../core/sessions.js';
import type { StoredEvent } from '../core/types.js';
import { fingerprintsAgree } from '../core/stored-event-item.js';
import type { ProcessDependencies, PutOutcome, StoredCopy } from './ports.js';

/** `ingestLagMs`: processing time minus event time, per event (what offline buffering costs in delay). */
export type ProcessOutcome = {
  stored: number;
  duplicates: number;
  /** Ids already stored with other content: not stored again, contributing nothing. */
  conflicts: number;
  sessionsStarted: number;
  live: number;
  ingestLagMs: number[];
};

export type ProcessOptions = {
  readonly nowMs?: number;
  /**
   * Runs before each write starts and throws to stop the message there (the invocation is running
   * out of time): writes already made stay, and a later attempt finds them stored.
   */
  readonly beforeWrite?: () => void;
  /**
   * The message was received before (SQS's receive count above 1): read what an earlier attempt
   * stored first. One BatchGetItem per 100 events then stands for a refused conditional put each,
   * which costs a write unit apiece and, under overload, made every retry as heavy as the first
   * attempt, so retries kept the pipeline overloaded.
   */
  readonly redelivered?: boolean;
};

export async function processMessage(
  message: EventMessageBody,
  deps: ProcessDependencies,
  options: ProcessOptions = {},
): Promise<ProcessOutcome> {
  const { nowMs = Date.now(), beforeWrite = () => {}, redelivered = false } = options;
  const syncedAt = new Date(nowMs).toISOString();
  const events: StoredEvent[] = message.events.map((event) =>
    enrichEvent(
      event,
      message.projectId,
      event.sessionId ?? sessionIdFor(message.projectId, event.deviceId, Date.parse(event.timestamp), Limits.sessionLengthMs),
      syncedAt,
    ),
  );

  const known = redelivered
    ? await deps.storedCopies(
        message.projectId,
        events.map((event) => event.eventId),
      )
    : new Map<string, StoredCopy>();
  // Every write passes `beforeWrite` (a redelivery finishes what a refused one left: see `contributing`).
  const gated: Gate = async (write) => {
    beforeWrite();
    return write();
  };
  const outcomes = await mapWithConcurrency(events, InFlight.writesPerMessage, async (event): Promise<PutOutcome> => {
    const copy = known.get(event.eventId);
    if (copy) return fingerprintsAgree(copy, event.fingerprint) ? 'duplicate' : 'conflict';
    return gated(() => deps.events.putIfAbsent(event));
  });
  const duplicates = events.filter((_, i) => outcomes[i] === 'duplicate');
  const unread = duplicates.filter((event) => !known.has(event.eventId)).map((event) => event.eventId);
  const copies = new Map([...known, ...(unread.length > 0 ? await deps.storedCopies(message.projectId, unread) : [])]);
  // A duplicate whose stored copy is this very event (same session, same time) is an earlier attempt of
  // this work that may have stopped before its session start or device move: finishing them is idempotent.
  const contributing = events.filter(
    (event, i) => outcomes[i] === 'stored' || (outcomes[i] === 'duplicate' && isSameEvent(copies.get(event.eventId), event)),
  );

  const live = contributing.filter((event) => isLive(Date.parse(event.timestamp), nowMs, Limits.liveWindowMs));
  const latest = live.reduce<StoredEvent | undefined>((a, b) => (!a || b.timestamp > a.timestamp ? b : a), undefined);
  // Same id, other content: never stored over the first copy, never silently dropped either.
  const conflicted = events.filter((_, i) => outcomes[i] === 'conflict');
  const [startOutcomes] = await Promise.all([
    startSessions(firstEventPerSession(contributing), message.projectId, syncedAt, deps, gated),
    latest
      ? gated(() =>
          deps.advanceDevice(message.projectId, { deviceId: latest.deviceId, lastSeen: latest.timestamp, sessionId: latest.sessionId }),
        )
      : undefined,
    conflicted.length > 0 ? gated(() => deps.recordConflicts(message.projectId, conflicted)) : undefined,
  ]);
  const stored = outcomes.filter((outcome) => outcome === 'stored').length;
  const sessionsStarted = startOutcomes.filter((outcome) => outcome === 'stored').length;
  return {
    stored: stored + sessionsStarted,
    duplicates: duplicates.length,
    conflicts: conflicted.length,
    sessionsStarted,
    live: live.length,
    ingestLagMs: events.map((event) => nowMs - Date.parse(event.timestamp)),
  };
}

/** Takes each session's lock and stores the start of the sessions whose lock this message holds. */
async function startSessions(firsts: readonly StoredEvent[], projectId: string, syncedAt: string, deps: ProcessDependencies, gated: Gate) {
  const held = await mapWithConcurrency(firsts, InFlight.writesPerMessage, (first) =>
    gated(() => deps.acquireSessionLock(projectId, first.deviceId, first.sessionId, first.eventId)),
  );
  const starts = firsts
    .filter((_, i) => held[i])
    .map((first) => {
      const start = sessionStartFor(first, Limits.sessionLengthMs);
      return { ...start, properties: { ...start.properties, __syncedAt: syncedAt } };
    });
  return mapWithConcurrency(starts, InFlight.writesPerMessage, (start) => gated(() => deps.events.putIfAbsent(start)));
}

/** Starts a write only if `beforeWrite` lets it (it throws once the invocation is nearly out of time). */
type Gate = <T>(write: () => Promise<T>) => Promise<T>;

const isSameEvent = (copy: StoredCopy | undefined, event: StoredEvent): boolean =>
  copy !== undefined && copy.sessionId === event.sessionId && copy.timestamp === event.timestamp;
