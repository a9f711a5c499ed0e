/**
 * Compose a batch (or start from a preset), send it with the write key, and see what happened to
 * each row. Against a local runtime, switches make parts of the pipeline fail so you can watch it
 * recover: nothing accepted is lost, nothing is counted twice.
 */
import { useState } from 'react';
import type { FaultSwitches, IngestAnswer, LocalStats, TidemarkApi } from '../api';
import { ErrorBox, Field, Stat } from '../components/Common';
import { useLoad } from '../hooks';
import { presetBody, Presets } from '../presets';

export function Send({ api, local }: { api: TidemarkApi; local: boolean }) {
  const [presetId, setPresetId] = useState(Presets[0]!.id);
  const [body, setBody] = useState(() => presetBody(Presets[0]!));
  const [result, setResult] = useState<{ answer?: IngestAnswer; error?: unknown; sentAt?: string }>({});
  const [sending, setSending] = useState(false);
  const path = Presets.find((p) => p.id === presetId)?.path ?? '/v1/batch';

  const pick = (id: string) => {
    setPresetId(id);
    setBody(presetBody(Presets.find((p) => p.id === id)!));
    setResult({});
  };
  const send = async () => {
    setSending(true);
    try {
      setResult({ answer: await api.send(body, path), sentAt: new Date().toLocaleTimeString() });
    } catch (error) {
      setResult({ error, sentAt: new Date().toLocaleTimeString() });
    } finally {
      setSending(false);
    }
  };
  return (
    <section>
      <h1>Send</h1>
      <div className="send">
        <div>
          <Field label="preset">
            <select name="preset" value={presetId} onChange={(e) => pick(e.currentTarget.value)}>
              {Presets.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label}
                </option>
              ))}
            </select>
          </Field>
          <Field label={`body (POST ${path})`}>
            <textarea name="body" value={body} spellCheck={false} rows={22} onChange={(e) => setBody(e.currentTarget.value)} />
          </Field>
          <div className="actions">
            <button type="button" className="primary" disabled={sending} onClick={send}>
              {sending ? 'Sending…' : 'Send'}
            </button>
            <button type="button" onClick={() => pick(presetId)}>
              New ids and times
            </button>
          </div>
        </div>
        <div>
          <h2>Result</h2>
          {!result.answer && !result.error && <p className="muted">Send a batch to see what happens to each row.</p>}
          <ErrorBox error={result.error} />
          {result.answer && <SendResult answer={result.answer} body={body} sentAt={result.sentAt} />}
        </div>
      </div>
      {local && <FailureSwitches api={api} />}
    </section>
  );
}

function SendResult({ answer, body, sentAt }: { answer: IngestAnswer; body: string; sentAt?: string }) {
  const rows = rowCount(body);
  return (
    <div data-testid="send-result">
      <p>
        <strong data-testid="accepted-count">{answer.accepted}</strong> accepted,{' '}
        <strong data-testid="rejected-count">{answer.rejected.length}</strong> rejected
        {rows !== undefined && ` of ${rows} rows`} at {sentAt}.
      </p>
      {answer.rejected.length > 0 && (
        <p className="muted" data-testid="index-note">
          Rows are numbered as the API numbers them in <code>rejected[].index</code>: from 0, so the batch's first row is 0.
        </p>
      )}
      {answer.rejected.length > 0 && (
        <table data-testid="row-rejections">
          <thead>
            <tr>
              <th className="num">index</th>
              <th>reason</th>
              <th>why</th>
              <th>retry?</th>
            </tr>
          </thead>
          <tbody>
            {answer.rejected.map((r) => (
              <tr key={r.index}>
                <td className="num">{r.index}</td>
                <td>
                  <span className={`badge ${r.retryable ? 'retry' : ''}`}>{r.reason}</span>
                </td>
                <td>{r.error}</td>
                <td>{r.retryable ? 'yes, resend this row' : 'no, fix it'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">
        Accepted rows are in the queue now; watch them arrive in <a href="#/events">Events</a> and <a href="#/explore">Explore</a>.
      </p>
    </div>
  );
}

function rowCount(body: string): number | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (Array.isArray(parsed)) return parsed.length;
    const envelope = parsed as { events?: unknown[]; batch?: unknown[] };
    return (envelope.events ?? envelope.batch)?.length;
  } catch {
    return undefined;
  }
}

const Switches = [
  { kind: 'processCrash', label: 'processor crashes', hint: 'before, between or after its writes; SQS redelivers' },
  { kind: 'sqsSendFailure', label: 'SQS send failures', hint: 'ingest retries; rows still failing come back retryable' },
  { kind: 'dynamoThrottle', label: 'DynamoDB throttling', hint: 'the SDK backs off and retries' },
  { kind: 'aggregateCrash', label: 'aggregator crashes', hint: 'the stream batch is retried; counts stay exact' },
] as const;

function FailureSwitches({ api }: { api: TidemarkApi }) {
  const stats = useLoad((signal) => api.localStats(signal), [api], 2000);
  const [error, setError] = useState<unknown>();
  // The switch moves at once; the runtime's answer then confirms (or corrects) it.
  const [chosen, setChosen] = useState<FaultSwitches | undefined>();
  const known = chosen ?? stats.data?.faults.plan;
  const plan = known ?? {};
  const apply = async (kind: (typeof Switches)[number]['kind'], probability: number) => {
    setChosen({ ...plan, [kind]: probability });
    try {
      setChosen((await api.setFaults({ [kind]: probability })).plan);
      setError(undefined);
    } catch (e) {
      setChosen(undefined);
      setError(e);
    }
  };
  return (
    <section className="switches">
      <h2>Simulate failures (local runtime only)</h2>
      <ErrorBox error={error ?? stats.error} />
      {/* Until the runtime says which switches are on, showing them all off would be a guess. */}
      {!known && !stats.error && <p className="muted">Loading…</p>}
      {known && (
        <div className="switch-grid">
          {Switches.map(({ kind, label, hint }) => {
            const probability = plan[kind] ?? 0;
            return (
              <div key={kind} className="switch">
                <label>
                  <input
                    type="checkbox"
                    name={kind}
                    checked={probability > 0}
                    onChange={(e) => apply(kind, e.currentTarget.checked ? 0.3 : 0)}
                  />
                  {label}
                </label>
                <input
                  type="range"
                  aria-label={`${label} probability`}
                  min={0}
                  max={0.9}
                  step={0.1}
                  value={probability}
                  onChange={(e) => apply(kind, Number(e.currentTarget.value))}
                />
                <span>{Math.round(probability * 100)}%</span>
                <small className="muted">{hint}</small>
              </div>
            );
          })}
        </div>
      )}
      {stats.data && <Recovery stats={stats.data} />}
    </section>
  );
}

function Recovery({ stats }: { stats: LocalStats }) {
  const fired = stats.faults.fired;
  const crashes = (fn: string) => (fired[`${fn}CrashBefore`] ?? 0) + (fired[`${fn}CrashBetween`] ?? 0) + (fired[`${fn}CrashAfter`] ?? 0);
  return (
    <div className="stats">
      <Stat label="accepted" value={stats.totals.accepted} />
      <Stat
        label="stored"
        value={stats.totals.stored}
        hint={`${stats.totals.redeliveries} redeliveries, ${stats.totals.resends} resends dropped`}
      />
      <Stat label="counted" value={stats.totals.counted} />
      <Stat label="queue depth" value={stats.queue.visible + stats.queue.inFlight} />
      <Stat label="dead letters" value={stats.deadLetters.visible + stats.deadLetters.inFlight} />
      <Stat
        label="faults fired"
        value={crashes('process') + crashes('aggregate') + (fired.sqsSendFailure ?? 0) + (fired.dynamoThrottle ?? 0)}
        hint={`${crashes('process')} processor crashes, ${fired.sqsSendFailure ?? 0} SQS failures`}
      />
    </div>
  );
}
