/**
 * One device: its live state (last seen, current session), its session metrics (GET /v1/sessions)
 * and its sessions over a range. The API builds the sessions from all of the device's events in the
 * range; a session's events are read when it is opened.
 */
import { useState } from 'react';
import type { DeviceSession, EventAnswer, TidemarkApi } from '../api';
import { ApiError } from '../api';
import { ErrorBox, Field, Stat } from '../components/Common';
import { SessionStatTiles } from '../components/SessionStats';
import { useLoad } from '../hooks';
import { usePageParams } from '../router';
import { DAY, formatDuration, formatTime, lastRange } from '../time';

/** An opened session shows up to this many of its events. */
const TIMELINE_EVENTS = 500;
const DayChoices = [1, 7, 31] as const;

export function Devices({ api, params }: { api: TidemarkApi; params: URLSearchParams }) {
  const [get, set] = usePageParams('devices', params);
  const deviceId = get('deviceId') ?? '';
  const days = DayChoices.find((d) => String(d) === get('days')) ?? 7;
  const [open, setOpen] = useState<string | undefined>();
  const loaded = useLoad(
    async (signal) => {
      if (!deviceId) return undefined;
      const [device, sessions, metrics] = await Promise.all([
        api.device(deviceId, signal).catch((error: unknown) => {
          // No live state is an answer, not a failure: the device sent nothing in the live window.
          if (error instanceof ApiError && error.status === 404) return null;
          throw error;
        }),
        sessionsOf(api, deviceId, days, signal),
        api.sessions({ ...lastRange(days * DAY), deviceId, limit: 0 }, signal),
      ]);
      return { device, sessions, stats: metrics.total };
    },
    [api, deviceId, days],
  );
  const state = { ...loaded.data, error: loaded.error, loading: loaded.loading && Boolean(deviceId) };

  return (
    <section>
      <h1>Devices</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <Field label="device id">
          <input
            name="deviceId"
            defaultValue={deviceId}
            key={deviceId}
            onKeyDown={(e) => e.key === 'Enter' && set({ deviceId: e.currentTarget.value.trim() })}
            onBlur={(e) => set({ deviceId: e.currentTarget.value.trim() })}
          />
        </Field>
        <Field label="sessions over">
          <select name="days" value={days} onChange={(e) => set({ days: e.currentTarget.value })}>
            {DayChoices.map((d) => (
              <option key={d} value={d}>
                {d === 1 ? 'the last day' : `the last ${d} days`}
              </option>
            ))}
          </select>
        </Field>
      </form>
      {!deviceId && <p className="muted">Enter a device id, or follow one from the Events page.</p>}
      <ErrorBox error={state.error} />
      {state.loading && <p className="muted">Loading…</p>}
      {deviceId && !state.loading && !state.error && (
        <>
          <h2>Live state</h2>
          {state.device ? (
            <div className="stats" data-testid="device-state">
              <Stat label="last seen" value={formatTime(state.device.lastSeen)} />
              <Stat label="current session" value={<code>{state.device.sessionId}</code>} />
            </div>
          ) : (
            <p className="muted">No live state: the device has sent nothing recent (historical imports leave live state alone).</p>
          )}
          <h2>Sessions</h2>
          {state.stats && <SessionStatTiles stats={state.stats} testId="device-session-stats" />}
          <table data-testid="sessions-table" className="clickable">
            <thead>
              <tr>
                <th>session</th>
                <th>started</th>
                <th>last event</th>
                <th className="num">duration</th>
                <th className="num" title="stored events, the session_start Tidemark makes included">
                  stored events
                </th>
              </tr>
            </thead>
            <tbody>
              {state.sessions?.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    No events from this device in the range.
                  </td>
                </tr>
              )}
              {state.sessions?.map((session) => (
                <SessionRow
                  key={session.sessionId}
                  api={api}
                  deviceId={deviceId}
                  session={session}
                  open={open === session.sessionId}
                  toggle={() => setOpen(open === session.sessionId ? undefined : session.sessionId)}
                />
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function SessionRow({
  api,
  deviceId,
  session,
  open,
  toggle,
}: {
  api: TidemarkApi;
  deviceId: string;
  session: DeviceSession;
  open: boolean;
  toggle: () => void;
}) {
  return (
    <>
      <tr onClick={toggle}>
        <td>
          <code>{session.sessionId}</code>
        </td>
        <td>{formatTime(session.firstEventAt)}</td>
        <td>{formatTime(session.lastEventAt)}</td>
        <td className="num">{formatDuration(Date.parse(session.lastEventAt) - Date.parse(session.firstEventAt))}</td>
        <td className="num">{session.events}</td>
      </tr>
      {open && (
        <tr>
          <td colSpan={5}>
            <Timeline api={api} deviceId={deviceId} session={session} />
          </td>
        </tr>
      )}
    </>
  );
}

function Timeline({ api, deviceId, session }: { api: TidemarkApi; deviceId: string; session: DeviceSession }) {
  const events = useLoad((signal) => eventsOfSession(api, deviceId, session, signal), [api, deviceId, session]);
  if (events.error) return <ErrorBox error={events.error} />;
  if (!events.data) return <p className="muted">Loading…</p>;
  return (
    <ol className="timeline">
      {events.data.map((event) => (
        <li key={event.eventId}>
          {formatTime(event.timestamp)} <strong>{event.event}</strong>
          {event.value !== undefined && ` (${event.value})`}
        </li>
      ))}
      {session.events > events.data.length && <li className="muted">… and {session.events - events.data.length} more</li>}
    </ol>
  );
}

/** Every session in the range: the API answers in parts when the device has many events; a session spanning two parts is merged. */
async function sessionsOf(api: TidemarkApi, deviceId: string, days: number, signal: AbortSignal): Promise<DeviceSession[]> {
  const range = lastRange(days * DAY);
  const sessions = new Map<string, DeviceSession>();
  let cursor: string | null = null;
  do {
    const page = await api.deviceSessions(deviceId, { ...range, cursor }, signal);
    for (const part of page.sessions) {
      const known = sessions.get(part.sessionId);
      sessions.set(
        part.sessionId,
        known
          ? {
              sessionId: part.sessionId,
              firstEventAt: part.firstEventAt < known.firstEventAt ? part.firstEventAt : known.firstEventAt,
              lastEventAt: part.lastEventAt > known.lastEventAt ? part.lastEventAt : known.lastEventAt,
              events: known.events + part.events,
            }
          : part,
      );
    }
    cursor = page.nextCursor;
  } while (cursor);
  return [...sessions.values()].sort((a, b) => b.lastEventAt.localeCompare(a.lastEventAt));
}

/** A session's events in time order: the device's events between its first and last, of that session. */
async function eventsOfSession(api: TidemarkApi, deviceId: string, session: DeviceSession, signal: AbortSignal): Promise<EventAnswer[]> {
  const to = new Date(Date.parse(session.lastEventAt) + 1).toISOString();
  const events: EventAnswer[] = [];
  let cursor: string | null = null;
  do {
    const page = await api.events({ from: session.firstEventAt, to, deviceId, cursor, limit: 500 }, signal);
    events.push(...page.events.filter((event) => event.sessionId === session.sessionId));
    cursor = page.nextCursor;
  } while (cursor && events.length < TIMELINE_EVENTS);
  return events.slice(0, TIMELINE_EVENTS).sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}
