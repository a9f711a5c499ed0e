/**
 * One device: its live state (last seen, current session), its session metrics and sessions over a
 * range (GET /v1/sessions), and each session's events (GET /v1/events) on a click.
 */
import { useEffect, useState } from 'react';
import type { DeviceState, Session, SessionsAnswer, StoredEvent, TidemarkApi } from '../api';
import { ApiError } from '../api';
import { ErrorBox, Field, Stat } from '../components/Common';
import { SessionStatTiles } from '../components/SessionStats';
import { usePageParams } from '../router';
import { DAY, formatDuration, formatTime, lastRange } from '../time';

/** Session timelines show up to this many of the device's newest events in the range. */
const MAX_EVENTS = 1000;
const DayChoices = [1, 7, 31] as const;

export function Devices({ api, params }: { api: TidemarkApi; params: URLSearchParams }) {
  const [get, set] = usePageParams('devices', params);
  const deviceId = get('deviceId') ?? '';
  const days = DayChoices.find((d) => String(d) === get('days')) ?? 7;
  const [state, setState] = useState<{ device?: DeviceState | null; sessions?: SessionsAnswer; events?: StoredEvent[]; truncated?: boolean; error?: unknown; loading: boolean }>({ loading: false });
  const [open, setOpen] = useState<string | undefined>();

  useEffect(() => {
    if (!deviceId) return;
    let cancelled = false;
    setState({ loading: true });
    Promise.all([
      api.device(deviceId).catch((error: unknown) => {
        // No live state is an answer, not a failure: the device sent nothing in the live window.
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
      api.sessions({ ...lastRange(days * DAY), deviceId, limit: 1000 }),
      eventsOf(api, deviceId, days),
    ]).then(
      ([device, sessions, { events, truncated }]) => !cancelled && setState({ device, sessions, events, truncated, loading: false }),
      (error: unknown) => !cancelled && setState({ error, loading: false }),
    );
    return () => {
      cancelled = true;
    };
  }, [api, deviceId, days]);

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
          {state.sessions && <SessionStatTiles stats={state.sessions.total} testId="device-session-stats" />}
          {state.truncated && <p className="muted">Timelines show the newest {MAX_EVENTS} events; narrow the range to see older ones.</p>}
          <table data-testid="sessions-table" className="clickable">
            <thead>
              <tr>
                <th>session</th>
                <th>started</th>
                <th>last event</th>
                <th className="num">duration</th>
                <th className="num">events</th>
              </tr>
            </thead>
            <tbody>
              {state.sessions?.sessions.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    No events from this device in the range.
                  </td>
                </tr>
              )}
              {state.sessions?.sessions.map((session) => (
                <SessionRow
                  key={session.sessionId}
                  session={session}
                  events={(state.events ?? []).filter((event) => event.sessionId === session.sessionId).reverse()}
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

/** A session and, opened, its stored events oldest first (the pipeline's `$session_start` included). */
function SessionRow({ session, events, open, toggle }: { session: Session; events: StoredEvent[]; open: boolean; toggle: () => void }) {
  return (
    <>
      <tr onClick={toggle}>
        <td>
          <code>{session.sessionId}</code>
        </td>
        <td>{formatTime(session.start)}</td>
        <td>{formatTime(session.end)}</td>
        <td className="num">{formatDuration(session.durationMs)}</td>
        <td className="num">{session.events}</td>
      </tr>
      {open && (
        <tr>
          <td colSpan={5}>
            <ol className="timeline">
              {events.map((event) => (
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

async function eventsOf(api: TidemarkApi, deviceId: string, days: number) {
  const range = lastRange(days * DAY);
  const events: StoredEvent[] = [];
  let cursor: string | null = null;
  do {
    const page = await api.events({ ...range, deviceId, cursor, limit: 500 });
    events.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor && events.length < MAX_EVENTS);
  return { events, truncated: cursor !== null };
}
