/**
 * Counters by hour or day: pick events, a range, a granularity and a grouping; see a chart and a
 * table of count, sum and unique devices, and the sessions of the same range (by source when grouped
 * by source). Every choice lives in the URL, so a view can be shared.
 */
import type { Granularity, GroupBy, SeriesPoint, TidemarkApi } from '../api';
import { Chart } from '../components/Chart';
import { ErrorBox, Field } from '../components/Common';
import { SessionSeriesTable, SessionStatTiles } from '../components/SessionStats';
import { useLoad } from '../hooks';
import { usePageParams } from '../router';
import { DAY, HOUR, fromLocalInput, isoOr, lastRange, toLocalInput } from '../time';

export function Explore({ api, params }: { api: TidemarkApi; params: URLSearchParams }) {
  const [get, set] = usePageParams('explore', params);
  const granularity = (get('granularity') === 'day' ? 'day' : 'hour') satisfies Granularity;
  const groupBy = (['event', 'source'].includes(get('groupBy') ?? '') ? get('groupBy') : 'none') as GroupBy;
  const fallback = lastRange(granularity === 'hour' ? DAY : 30 * DAY);
  const from = isoOr(get('from'), fallback.from);
  const to = isoOr(get('to'), fallback.to);
  const event = get('event') ?? '';
  const answer = useLoad(
    (signal) => api.aggregates({ from, to, event, granularity, groupBy }, signal),
    [api, from, to, event, granularity, groupBy],
  );
  const sessionGroup = groupBy === 'source' ? 'source' : 'none';
  const sessions = useLoad(
    (signal) => api.sessions({ from, to, granularity, groupBy: sessionGroup, limit: 0 }, signal),
    [api, from, to, granularity, sessionGroup],
  );
  const series = answer.data?.series ?? [];
  const buckets = bucketsBetween(from, to, granularity);
  const groups = groupsOf(series, groupBy);
  return (
    <section>
      <h1>Explore</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <Field label="events (comma-separated, empty = all)">
          <input
            name="event"
            key={event}
            defaultValue={event}
            placeholder="purchase, $session_start"
            onBlur={(e) => set({ event: e.currentTarget.value.trim() })}
            onKeyDown={(e) => e.key === 'Enter' && set({ event: e.currentTarget.value.trim() })}
          />
        </Field>
        <Field label="from">
          <input
            type="datetime-local"
            name="from"
            value={toLocalInput(from)}
            onChange={(e) => set({ from: fromLocalInput(e.currentTarget.value) })}
          />
        </Field>
        <Field label="to">
          <input
            type="datetime-local"
            name="to"
            value={toLocalInput(to)}
            onChange={(e) => set({ to: fromLocalInput(e.currentTarget.value) })}
          />
        </Field>
        <Field label="granularity">
          <select
            name="granularity"
            value={granularity}
            onChange={(e) => set({ granularity: e.currentTarget.value, from: undefined, to: undefined })}
          >
            <option value="hour">hour</option>
            <option value="day">day</option>
          </select>
        </Field>
        <Field label="group by">
          <select name="groupBy" value={groupBy} onChange={(e) => set({ groupBy: e.currentTarget.value })}>
            <option value="none">nothing</option>
            <option value="event">event</option>
            <option value="source">source</option>
          </select>
        </Field>
        <button
          type="button"
          onClick={() => {
            answer.reload();
            sessions.reload();
          }}
        >
          Refresh
        </button>
      </form>
      <ErrorBox error={answer.error} />
      <Chart
        label="Event counts"
        labels={buckets.map((ms) => bucketLabel(ms, granularity))}
        series={groups.map((group) => ({ name: group.name, values: buckets.map((ms) => group.byBucket.get(ms)?.count ?? 0) }))}
      />
      <table data-testid="aggregates-table">
        <thead>
          <tr>
            <th>{granularity}</th>
            {groupBy !== 'none' && <th>{groupBy}</th>}
            <th className="num">count</th>
            <th className="num">sum</th>
            <th className="num">unique devices (by day)</th>
          </tr>
        </thead>
        <tbody>
          {series.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                {answer.loading ? 'Loading…' : 'No counted events in this range.'}
              </td>
            </tr>
          )}
          {series.map((point) => (
            <tr key={point.bucket}>
              <td>{bucketLabel(Date.parse(point.bucket), granularity)}</td>
              {groupBy !== 'none' && <td>{groupName(point, groupBy)}</td>}
              <td className="num">{point.count}</td>
              <td className="num">{point.sumExact}</td>
              <td className="num">{point.uniqueDevices ?? '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Sessions</h2>
      <p className="muted">By the hour or day each session started; every event counts, whatever the event filter (docs/sessions.md).</p>
      <ErrorBox error={sessions.error} />
      {sessions.data && <SessionStatTiles stats={sessions.data.total} testId="session-stats" />}
      <SessionSeriesTable
        series={sessions.data?.series ?? []}
        bucketLabel={(bucket) => bucketLabel(Date.parse(bucket), granularity)}
        bySource={sessionGroup === 'source'}
        empty={sessions.loading ? 'Loading…' : 'No sessions in this range.'}
      />
    </section>
  );
}

function groupName(point: SeriesPoint, groupBy: GroupBy): string {
  if (groupBy === 'event') return point.event ?? '';
  if (groupBy === 'source') return point.source ?? '(no source)';
  return 'events';
}

function groupsOf(series: readonly SeriesPoint[], groupBy: GroupBy) {
  const groups = new Map<string, Map<number, SeriesPoint>>();
  for (const point of series) {
    const name = groupName(point, groupBy);
    if (!groups.has(name)) groups.set(name, new Map());
    groups.get(name)!.set(Date.parse(point.bucket), point);
  }
  return [...groups].map(([name, byBucket]) => ({ name, byBucket }));
}

/** The start (epoch ms) of every bucket in [from, to); buckets are UTC hours and days, as the API counts them. */
function bucketsBetween(from: string, to: string, granularity: Granularity): number[] {
  const step = granularity === 'hour' ? HOUR : DAY;
  const start = Math.floor(Date.parse(from) / step) * step;
  const end = Date.parse(to);
  const buckets: number[] = [];
  for (let t = start; t < end && buckets.length < 1000; t += step) buckets.push(t);
  return buckets;
}

/** `11-24 10h` or `2026-11-24`, in UTC like the buckets themselves. */
function bucketLabel(ms: number, granularity: Granularity): string {
  const iso = new Date(ms).toISOString();
  return granularity === 'hour' ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}h` : iso.slice(0, 10);
}
