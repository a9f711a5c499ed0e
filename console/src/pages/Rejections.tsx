/** Rows the API turned down, newest first, with the reason a client can act on and the row as sent. */
import type { TidemarkApi } from '../api';
import { ErrorBox } from '../components/Common';
import { useLoad } from '../hooks';
import { formatTime } from '../time';

export function Rejections({ api }: { api: TidemarkApi }) {
  const listing = useLoad((signal) => api.rejections({ cursor: null, limit: 50 }, signal), [api]);
  const rows = listing.data?.rejections ?? [];
  const loadMore = () =>
    listing.extend(async (current, signal) => {
      const page = await api.rejections({ cursor: current.nextCursor, limit: 50 }, signal);
      return { rejections: [...current.rejections, ...page.rejections], nextCursor: page.nextCursor, notKept: page.notKept };
    });
  return (
    <section>
      <h1>Rejections</h1>
      <p className="muted">The last 24 hours. Rejected rows are kept 30 days; nothing valid in the same request was lost with them.</p>
      <button type="button" onClick={listing.reload}>
        Refresh
      </button>
      <ErrorBox error={listing.error} />
      {(listing.data?.notKept ?? 0) > 0 && (
        <p className="muted" data-testid="rejections-not-kept">
          {listing.data?.notKept} more rejected rows were not kept here: the project reached its daily cap (rejectionsKeptPerDay). Each was
          answered with its reason, and the event lake, when on, keeps it whole.
        </p>
      )}
      <table data-testid="rejections-table">
        <thead>
          <tr>
            <th>received</th>
            <th>reason</th>
            <th>why</th>
            <th>row as sent</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && !listing.loading && (
            <tr>
              <td colSpan={4} className="muted">
                No rejected rows.
              </td>
            </tr>
          )}
          {rows.map((row) => (
            <tr key={`${row.requestId}#${row.index ?? row.eventId}`}>
              <td>{formatTime(row.receivedAt)}</td>
              <td>
                <span className={`badge ${row.retryable ? 'retry' : ''}`}>{row.reason}</span>
              </td>
              <td>{row.error}</td>
              <td>
                <code className="row">{row.row}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {listing.data?.nextCursor && (
        <button type="button" disabled={listing.loading} onClick={loadMore}>
          Load more
        </button>
      )}
    </section>
  );
}
