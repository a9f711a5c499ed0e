/** One device: its live state (last seen, current session) and its sessions over a range, built from its events. */
import { useState } from 'react';
import type { StoredEvent, TidemarkApi } from '../api';
import { ApiError } from '../api';
import { ErrorBox, Field, Stat } from '../components/Common';
import { useLoad } from '../hooks';
import { usePageParams } from '../router';
import { DAY, formatTime, lastRange } from '../time';

type Session = { sessionId: string; first: string; last: string; events: StoredEvent[] };
/** Sessions are read from up to this many of the device's newest events in the range. */
const MAX_EVENTS = 1000;
const DayChoices = [1, 7, 31] as const;

export function Devices({ api, params }: { api: TidemarkApi; params: URLSearchParams }) {
  const [get, set] = usePageParams('devices', params);
  const deviceId = get('deviceId') ?? '';
  const days = DayChoices.find((d) => String(d) === get('days')) ?? 7;
  const [open, setOpen] = useState<string | undefined>();
  const loaded = useLoad(async (signal) => {
    if (!deviceId) return undefined;
    const [device, { events, truncated }] = await Promise.all([
      api.device(deviceId, signal).catch((error: unknown) => {
        // No live state is an answer, not a failure: the device sent nothing in the live window.
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
      eventsOf(api, deviceId, days, signal),
    ]);
    return { device, sessions: sessionsOf(events), truncated };
  }, [api, deviceId, days]);
  const state = { ...loaded.data, error: loaded.error, loading: loaded.loading && Boolean(deviceId) };

  return (
    <section>
      <h1>Devices</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <Field label="device id">
          <input name="deviceId" defaultValue={deviceId} key={deviceId} onKeyDown={(e) => e.key === 'Enter' && set({ deviceId: e.currentTarget.value.trim() })} onBlur={(e) => set({ deviceId: e.currentTarget.value.trim() })} />
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
          {state.truncated && <p className="muted">Showing sessions from the newest {MAX_EVENTS} events; narrow the range to see older ones.</p>}
          <table data-testid="sessions-table" className="clickable">
            <thead>
              <tr>
                <th>session</th>
                <th>started</th>
                <th>last event</th>
                <th className="num">events</th>
              </tr>
            </thead>
            <tbody>
              {state.sessions?.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    No events from this device in the range.
                  </td>
                </tr>
              )}
              {state.sessions?.map((session) => (
                <SessionRow key={session.sessionId} session={session} open={open === session.sessionId} toggle={() => setOpen(open === session.sessionId ? undefined : session.sessionId)} />
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function SessionRow({ session, open, toggle }: { session: Session; open: boolean; toggle: () => void }) {
  return (
    <>
      <tr onClick={toggle}>
        <td>
          <code>{session.sessionId}</code>
        </td>
        <td>{formatTime(session.first)}</td>
        <td>{formatTime(session.last)}</td>
        <td className="num">{session.events.length}</td>
      </tr>
      {open && (
        <tr>
          <td colSpan={4}>
            <ol className="timeline">
              {session.events.map((event) => (
                <li key={event.eventId}>
                  {formatTime(event.timestamp)} <strong>{event.event}</strong>
                  {event.value !== undefined && ` (${event.value})`}
                </li>
              ))}
            </ol>
          </td>
        </tr>
      )}
    </>
  );
}

async function eventsOf(api: TidemarkApi, deviceId: string, days: number, signal: AbortSignal) {
  const range = lastRange(days * DAY);
  const events: StoredEvent[] = [];
  let cursor: string | null = null;
  do {
    const page = await api.events({ ...range, deviceId, cursor, limit: 500 }, signal);
    events.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor && events.length < MAX_EVENTS);
  return { events, truncated: cursor !== null };
}

/** Sessions newest first, each with its events in time order. */
function sessionsOf(events: StoredEvent[]): Session[] {
  const sessions = new Map<string, StoredEvent[]>();
  for (const event of events) {
    const list = sessions.get(event.sessionId) ?? [];
    list.push(event);
    sessions.set(event.sessionId, list);
  }
  return [...sessions]
    .map(([sessionId, list]) => {
      list.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
      return { sessionId, first: list[0]!.timestamp, last: list.at(-1)!.timestamp, events: list };
    })
    .sort((a, b) => b.first.localeCompare(a.first));
}
