/**
 * The processor use case for one queue message (one device's rows): assign sessions, emit each new
 * session's `session_start`, store every event once, and move the device's live state.
 */
import { Limits } from '../../resources/index.js';
import { mapWithConcurrency } from '../core/concurrency.js';
import { enrichEvent } from '../core/enrich.js';
import type { EventMessageBody } from '../core/packing.js';
import { firstEventPerSession, isLive, sessionIdFor, sessionStartFor } from '../core/sessions.js';
import type { StoredEvent } from '../core/types.js';
import type { EventStore } from '../adapters/event-store.js';
import type { DeviceState } from '../adapters/state-store.js';

/** Writes in flight per message; the SDK's default agent keeps 50 sockets. */
const WRITE_CONCURRENCY = 32;

export type ProcessDependencies = {
  readonly events: EventStore;
  /** True when this caller may emit the session's `session_start`. */
  readonly acquireSessionLock: (projectId: string, sessionId: string, ownerEventId: string) => Promise<boolean>;
  readonly advanceDevice: (projectId: string, state: DeviceState) => Promise<void>;
};

/** `ingestLagMs`: processing time minus event time, per event (what offline buffering costs in delay). */
export type ProcessOutcome = { stored: number; duplicates: number; sessionsStarted: number; live: number; ingestLagMs: number[] };

export async function processMessage(message: EventMessageBody, deps: ProcessDependencies, nowMs = Date.now()): Promise<ProcessOutcome> {
  const syncedAt = new Date(nowMs).toISOString();
  const events: StoredEvent[] = message.events.map((event) =>
    enrichEvent(
      event,
      message.projectId,
      event.sessionId ?? sessionIdFor(message.projectId, event.deviceId, Date.parse(event.timestamp), Limits.sessionLengthMs),
      syncedAt,
    ),
  );

  const firsts = firstEventPerSession(events);
  const held = await mapWithConcurrency(firsts, WRITE_CONCURRENCY, (first) => deps.acquireSessionLock(message.projectId, first.sessionId, first.eventId));
  const starts = firsts
    .filter((_, i) => held[i])
    .map((first) => {
      const start = sessionStartFor(first);
      return { ...start, properties: { ...start.properties, __syncedAt: syncedAt } };
    });

  const outcomes = await mapWithConcurrency([...starts, ...events], WRITE_CONCURRENCY, (event) => deps.events.putIfAbsent(event));
  const stored = outcomes.filter((outcome) => outcome === 'stored').length;
  const sessionsStarted = outcomes.slice(0, starts.length).filter((outcome) => outcome === 'stored').length;

  const live = events.filter((event) => isLive(Date.parse(event.timestamp), nowMs, Limits.liveWindowMs));
  const latest = live.reduce<StoredEvent | undefined>((a, b) => (!a || b.timestamp > a.timestamp ? b : a), undefined);
  if (latest) {
    await deps.advanceDevice(message.projectId, { deviceId: latest.deviceId, lastSeen: latest.timestamp, sessionId: latest.sessionId });
  }
  const ingestLagMs = events.map((event) => nowMs - Date.parse(event.timestamp));
  return { stored, duplicates: outcomes.length - stored, sessionsStarted, live: live.length, ingestLagMs };
}
