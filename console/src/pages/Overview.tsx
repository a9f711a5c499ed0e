/**
 * The pipeline at a glance, for the console's project. Against a local runtime: accepted, rejected,
 * stored and counted events per minute, the synthetic session_starts apart, dropped duplicates by
 * cause, refused requests with their reason, queue and DLQ depth, freshness and the last errors,
 * polled every two seconds. Against a deployed stack those live in the CloudWatch dashboard; the
 * console shows the last day's counts.
 */
import { type LocalStats, type Refusal, type TidemarkApi, zeroTotals } from '../api';
import { Chart } from '../components/Chart';
import { ErrorBox, Stat } from '../components/Common';
import { useLoad } from '../hooks';
import { DAY, formatDuration, formatTime, lastRange } from '../time';

export function Overview({ api, local }: { api: TidemarkApi; local: boolean }) {
  return local ? <LocalOverview api={api} /> : <DeployedOverview api={api} />;
}

function LocalOverview({ api }: { api: TidemarkApi }) {
  const stats = useLoad((signal) => api.localStats(signal), [api], 2000);
  const s = stats.data;
  if (!s) return stats.error ? <ErrorBox error={stats.error} /> : <p className="muted">Loading…</p>;
  const minutes = lastMinutes(s.minutes, s.at);
  const last = minutes.at(-1);
  const faultsOn = Object.entries(s.faults.plan).filter(([, p]) => typeof p === 'number' && p > 0);
  return (
    <section>
      <h1>Overview</h1>
      {faultsOn.length > 0 && (
        <div className="warning" data-testid="faults-on">
          Simulated failures on: {faultsOn.map(([kind, p]) => `${kind} ${Math.round(Number(p) * 100)}%`).join(', ')} (turn them off on the
          Send page).
        </div>
      )}
      <p className="muted">
        Project <strong data-testid="overview-project">{s.projectId}</strong>; the queue and the DLQ are shared by every project of this
        runtime.
      </p>
      <div className="stats">
        <Stat label="accepted" value={s.totals.accepted} hint={`${last?.accepted ?? 0} this minute`} testId="stat-accepted" />
        <Stat label="rejected rows" value={s.totals.rejected} hint={`${last?.rejected ?? 0} this minute`} testId="stat-rejected" />
        <Stat label="refused requests" value={s.totals.refused} hint="whole requests: 400, 401, 403, 413, 415, 429" testId="stat-refused" />
        <Stat label="stored" value={s.totals.stored} hint="the client's events, first time" testId="stat-stored" />
        <Stat label="counted" value={s.totals.counted} hint="the client's events" testId="stat-counted" />
        <Stat
          label="session starts"
          value={s.totals.sessionStarts}
          hint={`made by Tidemark, not sent; ${s.totals.sessionStartsCounted} counted`}
          testId="stat-session-starts"
        />
        <Stat label="redeliveries dropped" value={s.totals.redeliveries} hint="SQS delivered a message again" testId="stat-redeliveries" />
        <Stat label="client resends dropped" value={s.totals.resends} hint="an event sent again in a new request" testId="stat-resends" />
        <Stat label="queue depth" value={s.queue.visible + s.queue.inFlight} hint={`${s.queue.inFlight} in flight`} testId="stat-queue" />
        <Stat
          label="dead letters"
          value={s.deadLetters.visible + s.deadLetters.inFlight}
          hint="inspect with npm run tidemark -- dlq inspect"
          testId="stat-dlq"
        />
        <Stat
          label="freshness p50 / p99"
          value={`${formatDuration(s.freshness.p50Ms)} / ${formatDuration(s.freshness.p99Ms)}`}
          hint="accepted → counted, last 5 min"
        />
      </div>
      <h2>Events per minute</h2>
      <Chart
        label="Events per minute"
        labels={minutes.map((m) => m.minute.slice(11))}
        series={[
          { name: 'accepted', values: minutes.map((m) => m.accepted) },
          { name: 'rejected', values: minutes.map((m) => m.rejected) },
          { name: 'duplicates', values: minutes.map((m) => m.redeliveries + m.resends) },
          { name: 'counted', values: minutes.map((m) => m.counted) },
          { name: 'refused', values: minutes.map((m) => m.refused) },
        ]}
      />
      <h2>Refused requests</h2>
      <Refusals refusals={s.refusals} testId="refusals" empty="No request with this project's keys was refused." />
      {s.unattributedRefusals.length > 0 && (
        <>
          <p className="muted">Refused before any project could be told (no key, or an unknown or revoked one):</p>
          <Refusals refusals={s.unattributedRefusals} testId="unattributed-refusals" empty="" />
        </>
      )}
      <h2>Last errors</h2>
      {s.recentErrors.length === 0 ? (
        <p className="muted">No errors since the runtime started.</p>
      ) : (
        <table data-testid="recent-errors">
          <thead>
            <tr>
              <th>when</th>
              <th>where</th>
              <th>message</th>
            </tr>
          </thead>
          <tbody>
            {s.recentErrors.map((e, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a read-only snapshot replaced whole on each poll; two errors may share a time
              <tr key={i}>
                <td>{formatTime(e.at)}</td>
                <td>{e.where}</td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Refusals({ refusals, testId, empty }: { refusals: Refusal[]; testId: string; empty: string }) {
  if (refusals.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th>when</th>
          <th>request</th>
          <th className="num">status</th>
          <th>reason</th>
          <th>message</th>
        </tr>
      </thead>
      <tbody>
        {refusals.map((r, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a read-only snapshot replaced whole on each poll; two refusals may share a time
          <tr key={i}>
            <td>{formatTime(r.at)}</td>
            <td>POST {r.path}</td>
            <td className="num">{r.status}</td>
            <td>
              <span className="badge">{r.error}</span>
            </td>
            <td>{r.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type Minute = LocalStats['minutes'][number];
const CHART_MINUTES = 30;

/** The last half hour minute by minute, quiet minutes as zeros (the runtime only keeps minutes that saw something). */
function lastMinutes(seen: Minute[], at: string): Minute[] {
  const byMinute = new Map(seen.map((m) => [m.minute, m]));
  const end = Math.floor(Date.parse(at) / 60_000) * 60_000;
  return Array.from({ length: CHART_MINUTES }, (_, i) => {
    const minute = new Date(end - (CHART_MINUTES - 1 - i) * 60_000).toISOString().slice(0, 16);
    return byMinute.get(minute) ?? { minute, ...zeroTotals() };
  });
}

function DeployedOverview({ api }: { api: TidemarkApi }) {
  const range = lastRange(DAY);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the range slides with the clock: the poll moves it, a render does not
  const answer = useLoad((signal) => api.aggregates({ ...range, granularity: 'hour', groupBy: 'none' }, signal), [api], 60_000);
  const series = answer.data?.series ?? [];
  return (
    <section>
      <h1>Overview</h1>
      <p className="muted">
        Queue depth, dead letters, freshness and errors are on the stack's CloudWatch dashboard (output DashboardUrl).
      </p>
      <ErrorBox error={answer.error} />
      <div className="stats">
        <Stat label="events counted, last 24 h" value={series.reduce((n, p) => n + p.count, 0)} />
      </div>
      <Chart
        label="Events per hour"
        labels={series.map((p) => p.bucket.slice(5))}
        series={[{ name: 'events', values: series.map((p) => p.count) }]}
      />
    </section>
  );
}
