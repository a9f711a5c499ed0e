/**
 * `tidemark rejections replay --project P --key SECRET --reason too_old [--from ISO] [--to ISO]`:
 * rejected rows kept whole in the lake, sent back through `/v1/import` (no age floor) in request
 * order, each request's rows with its `sentAt` and receive time, so their time is corrected for
 * clock skew as on first receipt. Idempotent: each row goes as it was sent, so its event id (sent,
 * or derived from its content and original timestamp) is the same on every replay, and a replay
 * stores nothing twice.
 */
import { ImportRequests, Limits, type Rejection } from '../../resources/index.js';
import { isValidProjectId } from '../../lambdas/core/item-keys.js';
import { RejectionReason } from '../../lambdas/core/types.js';
import { parseTimestamp } from '../../lambdas/core/timestamps.js';
import type { SqlResult } from '../lake/sql-engine.js';
import type { Target } from '../target.js';
import { openSqlEngine } from './sql.js';

export type ReplayOptions = {
  readonly projectId: string;
  readonly secretKey: string;
  readonly reason: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly onProgress?: (sent: number, total: number) => void;
};

export type ReplayReport = { readonly found: number; readonly accepted: number; readonly rejected: Record<string, number> };

const reasons = new Set<string>(Object.values(RejectionReason));

export async function replayRejections(target: Target, options: ReplayOptions): Promise<ReplayReport> {
  if (!isValidProjectId(options.projectId)) throw new Error(`'${options.projectId}' is not a project id`);
  if (!reasons.has(options.reason)) throw new Error(`--reason must be one of ${[...reasons].join(', ')}`);
  const requests = await rejectedRequests(target, options);
  const total = requests.reduce((sum, request) => sum + request.rows.length, 0);
  let accepted = 0;
  const rejected: Record<string, number> = {};
  let sent = 0;
  for (const request of requests) {
    for (const batch of batches(request.rows)) {
      const reply = await sendImport(target.apiUrl, options.secretKey, { ...request, rows: batch });
      accepted += reply.accepted;
      for (const r of reply.rejected) rejected[r.reason] = (rejected[r.reason] ?? 0) + 1;
      sent += batch.length;
      options.onProgress?.(sent, total);
    }
  }
  return { found: total, accepted, rejected };
}

/**
 * The rows of one original request, as sent, with that request's `sentAt` and receive time: sent
 * back together, ingest corrects their time for clock skew exactly as it did on first receipt.
 */
type RejectedRequest = { readonly rows: string[]; readonly sentAt?: number; readonly receivedAt?: number };

/**
 * The rows as sent, by original request, oldest first; a row rejected in several requests (a
 * resend) goes once, with the first. A row another protocol sent (OpenPanel) goes in Tidemark's
 * shape (`replayrow`), which `/v1/import` takes. Files written before `sentat` or `replayrow` was
 * kept read them as NULL: their rows go without a `sentAt`, as on first receipt when the client
 * sent none, and as sent.
 */
async function rejectedRequests(target: Target, options: ReplayOptions): Promise<RejectedRequest[]> {
  const conditions = [`project = '${options.projectId}'`, `reason = '${options.reason}'`];
  if (options.fromMs !== undefined) conditions.push(`receivedat >= ${timestampLiteral(options.fromMs)}`);
  if (options.toMs !== undefined) conditions.push(`receivedat < ${timestampLiteral(options.toMs)}`);
  const engine = await openSqlEngine(target);
  let result: SqlResult;
  try {
    // Timestamps as text, which DuckDB and Athena both write `YYYY-MM-DD HH:MM:SS[.fff]` (UTC).
    result = await engine.query(
      `SELECT coalesce(replayrow, "row"), requestid, CAST(receivedat AS VARCHAR), CAST(sentat AS VARCHAR) FROM rejections WHERE ${conditions.join(' AND ')} ORDER BY receivedat, requestid, rowindex`,
    );
  } finally {
    await engine.close();
  }
  const requests: (RejectedRequest & { readonly id: string })[] = [];
  const seen = new Set<string>();
  for (const [row, requestId, receivedAt, sentAt] of result.rows) {
    const text = String(row);
    if (seen.has(text)) continue;
    seen.add(text);
    const id = `${receivedAt}\n${requestId}`;
    if (requests.at(-1)?.id !== id) {
      const sentAtMs = parseTimestamp(sentAt);
      const receivedAtMs = parseTimestamp(receivedAt);
      requests.push({
        id,
        rows: [],
        ...(sentAtMs === undefined ? {} : { sentAt: sentAtMs }),
        ...(receivedAtMs === undefined ? {} : { receivedAt: receivedAtMs }),
      });
    }
    requests.at(-1)!.rows.push(text);
  }
  return requests;
}

/** `TIMESTAMP 'YYYY-MM-DD HH:MM:SS.mmm'`: the literal DuckDB and Athena both read. */
const timestampLiteral = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;

function* batches(rows: readonly string[]): Generator<string[]> {
  let batch: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(row) + 1;
    if (
      batch.length > 0 &&
      (batch.length >= Math.min(ImportRequests.replayRowsPerRequest, Limits.maxEventsPerRequest) ||
        bytes + size > ImportRequests.replayBytesPerRequest)
    ) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(row);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

/** The `/v1/import` body of a request's rows: its `sentAt` and receive time beside them (docs/sessions.md, "Time"). */
function importBody({ rows, sentAt, receivedAt }: RejectedRequest): string {
  const time = (name: string, ms: number | undefined) => (ms === undefined ? '' : `"${name}":"${new Date(ms).toISOString()}",`);
  return `{${time('sentAt', sentAt)}${time('receivedAt', receivedAt)}"events":[${rows.join(',')}]}`;
}

type ImportReply = { accepted: number; rejected: Rejection[] };

/** One request until it is answered; only the retryable rows are sent again. */
async function sendImport(apiUrl: string, secretKey: string, request: RejectedRequest): Promise<ImportReply> {
  let pending = request.rows;
  const reply: ImportReply = { accepted: 0, rejected: [] };
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= ImportRequests.maxAttempts)
      throw new Error(
        `replay stopped: ${pending.length} rows still failing after ${ImportRequests.maxAttempts} attempts; run it again (it is idempotent)`,
      );
    const response = await fetch(`${apiUrl}/v1/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: importBody({ ...request, rows: pending }),
    }).catch(() => undefined);
    if (!response || response.status >= 500 || response.status === 429) {
      const retryAfter = Number(response?.headers.get('retry-after') ?? 0);
      await new Promise((resolve) => setTimeout(resolve, Math.max(retryAfter * 1000, ImportRequests.firstRetryMs * 2 ** attempt)));
      continue;
    }
    const body = (await response.json()) as Partial<ImportReply> & { message?: string };
    if (response.status !== 202) throw new Error(`replay refused (${response.status}): ${body.message ?? JSON.stringify(body)}`);
    reply.accepted += body.accepted ?? 0;
    const retry = (body.rejected ?? []).filter((r) => r.retryable);
    reply.rejected.push(...(body.rejected ?? []).filter((r) => !r.retryable));
    pending = retry.map((r) => pending[r.index]!);
  }
  return reply;
}
