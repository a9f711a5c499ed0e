/** Session metrics as tiles: how many sessions, how long, how many events, how many bounced. Shared by Explore and Devices. */
import type { SessionSeriesPoint, SessionStats } from '../api';
import { formatDuration } from '../time';
import { Stat } from './Common';

export const formatRate = (rate: number): string => `${(rate * 100).toFixed(1)} %`;

export function SessionStatTiles({ stats, testId }: { stats: SessionStats; testId: string }) {
  return (
    <div className="stats" data-testid={testId}>
      <Stat label="sessions" value={stats.sessions} testId={`${testId}-sessions`} />
      <Stat label="average duration" value={formatDuration(stats.averageDurationMs)} />
      <Stat label="median duration" value={formatDuration(stats.medianDurationMs)} />
      <Stat label="events per session" value={stats.eventsPerSession.toFixed(2)} testId={`${testId}-events-per-session`} />
      <Stat label="bounce rate" value={formatRate(stats.bounceRate)} hint="one-event sessions" testId={`${testId}-bounce-rate`} />
    </div>
  );
}

/** One row per bucket of session start (and source of the first event, when grouped). */
export function SessionSeriesTable({
  series,
  bucketLabel,
  bySource,
  empty,
}: {
  series: readonly SessionSeriesPoint[];
  bucketLabel: (bucket: string) => string;
  bySource: boolean;
  empty: string;
}) {
  return (
    <table data-testid="session-series-table">
      <thead>
        <tr>
          <th>started</th>
          {bySource && <th>source</th>}
          <th className="num">sessions</th>
          <th className="num">average duration</th>
          <th className="num">median duration</th>
          <th className="num">events per session</th>
          <th className="num">bounce rate</th>
        </tr>
      </thead>
      <tbody>
        {series.length === 0 && (
          <tr>
            <td colSpan={bySource ? 7 : 6} className="muted">
              {empty}
            </td>
          </tr>
        )}
        {series.map((point) => (
          <tr key={`${point.bucket}|${point.source ?? ''}`}>
            <td>{bucketLabel(point.bucket)}</td>
            {bySource && <td>{point.source ?? '(no source)'}</td>}
            <td className="num">{point.sessions}</td>
            <td className="num">{formatDuration(point.averageDurationMs)}</td>
            <td className="num">{formatDuration(point.medianDurationMs)}</td>
            <td className="num">{point.eventsPerSession.toFixed(2)}</td>
            <td className="num">{formatRate(point.bounceRate)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
