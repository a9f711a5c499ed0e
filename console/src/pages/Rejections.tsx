/** Rows the API turned down, newest first, with the reason a client can act on and the row as sent. */
import { useEffect, useState } from 'react';
import type { RejectedRow, TidemarkApi } from '../api';
import { ErrorBox } from '../components/Common';
import { formatTime } from '../time';

export function Rejections({ api }: { api: TidemarkApi }) {
  const [rows, setRows] = useState<RejectedRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<{ loading: boolean; error?: unknown }>({ loading: true });
  const load = (from: string | null) => {
    setState({ loading: true });
    api.rejections({ cursor: from, limit: 50 }).then(
      (page) => {
        setRows((previous) => (from ? [...previous, ...page.rejections] : page.rejections));
        setCursor(page.nextCursor);
        setState({ loading: false });
      },
      (error: unknown) => setState({ loading: false, error }),
    );
  };
  useEffect(() => load(null), [api]);
  return (
    <section>
      <h1>Rejections</h1>
      <p className="muted">The last 24 hours. Rejected rows are kept 30 days; nothing valid in the same request was lost with them.</p>
      <button type="button" onClick={() => load(null)}>
        Refresh
      </button>
      <ErrorBox error={state.error} />
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
          {rows.length === 0 && !state.loading && (
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
      {cursor && (
        <button type="button" disabled={state.loading} onClick={() => load(cursor)}>
          Load more
        </button>
      )}
    </section>
  );
}
