/** Stored events, newest first, with filters and pagination; one event in full beside the list. */
import { useState } from 'react';
import type { EventAnswer, TidemarkApi } from '../api';
import { ErrorBox, Field, JsonBlock } from '../components/Common';
import { useLoad } from '../hooks';
import { usePageParams } from '../router';
import { DAY, formatTime, fromLocalInput, isoOr, lastRange, toLocalInput } from '../time';

export function Events({ api, params }: { api: TidemarkApi; params: URLSearchParams }) {
  const [get, set] = usePageParams('events', params);
  const fallback = lastRange(DAY);
  const filter = {
    from: isoOr(get('from'), fallback.from),
    to: isoOr(get('to'), fallback.to),
    event: get('event'),
    deviceId: get('deviceId'),
    source: get('source'),
  };
  const [selected, setSelected] = useState<EventAnswer | undefined>();
  const { from, to, event, deviceId, source } = filter;
  const listing = useLoad(
    (signal) => {
      setSelected(undefined);
      return api.events({ from, to, event, deviceId, source, cursor: null, limit: 50 }, signal);
    },
    [api, from, to, event, deviceId, source],
  );
  const events = listing.data?.events ?? [];
  const loadMore = () =>
    listing.extend(async (current, signal) => {
      const page = await api.events({ from, to, event, deviceId, source, cursor: current.nextCursor, limit: 50 }, signal);
      return { events: [...current.events, ...page.events], nextCursor: page.nextCursor };
    });

  const textFilter = (name: 'event' | 'deviceId' | 'source', label: string) => (
    <Field label={label}>
      <input
        name={name}
        key={filter[name] ?? ''}
        defaultValue={filter[name] ?? ''}
        onBlur={(e) => set({ [name]: e.currentTarget.value.trim() })}
        onKeyDown={(e) => e.key === 'Enter' && set({ [name]: e.currentTarget.value.trim() })}
      />
    </Field>
  );
  return (
    <section>
      <h1>Events</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        {textFilter('event', 'event')}
        {textFilter('deviceId', 'device')}
        {textFilter('source', 'source')}
        <Field label="from">
          <input
            type="datetime-local"
            name="from"
            value={toLocalInput(filter.from)}
            onChange={(e) => set({ from: fromLocalInput(e.currentTarget.value) })}
          />
        </Field>
        <Field label="to">
          <input
            type="datetime-local"
            name="to"
            value={toLocalInput(filter.to)}
            onChange={(e) => set({ to: fromLocalInput(e.currentTarget.value) })}
          />
        </Field>
        <button type="button" onClick={listing.reload}>
          Refresh
        </button>
      </form>
      <ErrorBox error={listing.error} />
      <div className="split">
        <table data-testid="events-table" className="clickable">
          <thead>
            <tr>
              <th>time</th>
              <th>event</th>
              <th>device</th>
              <th>source</th>
              <th className="num">value</th>
            </tr>
          </thead>
          <tbody>
            {events.length === 0 && !listing.loading && (
              <tr>
                <td colSpan={5} className="muted">
                  No events match.
                </td>
              </tr>
            )}
            {events.map((event) => (
              <tr
                key={event.eventId}
                onClick={() => setSelected(event)}
                className={selected?.eventId === event.eventId ? 'selected' : undefined}
              >
                <td>{formatTime(event.timestamp)}</td>
                <td>{event.event}</td>
                <td>
                  <a href={`#/devices?deviceId=${encodeURIComponent(event.deviceId)}`} onClick={(e) => e.stopPropagation()}>
                    {event.deviceId}
                  </a>
                </td>
                <td>{event.source ?? ''}</td>
                <td className="num">{event.value ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {selected && (
          <aside className="detail" data-testid="event-detail">
            <h2>{selected.event}</h2>
            <JsonBlock value={selected} />
          </aside>
        )}
      </div>
      {listing.data?.nextCursor && (
        <button type="button" disabled={listing.loading} onClick={loadMore}>
          Load more
        </button>
      )}
      {listing.loading && <p className="muted">Loading…</p>}
    </section>
  );
}
