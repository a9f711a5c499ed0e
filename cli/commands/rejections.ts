/**
 * `tidemark rejections replay --project P --key SECRET --reason too_old [--from ISO] [--to ISO]`:
 * rejected rows kept whole in the lake, sent back through `/v1/import` (no age floor) in request
 * order. Idempotent: each row goes as it was sent, so its event id (sent, or derived from its
 * content and original timestamp) is the same on every replay, and a replay stores nothing twice.
 */
import { ImportRequests, Limits, type Rejection } from '../../resources/index.js';
import { isValidProjectId } from '../../lambdas/core/item-keys.js';
import { RejectionReason } from '../../lambdas/core/types.js';
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
  const rows = await rejectedRows(target, options);
  let accepted = 0;
  const rejected: Record<string, number> = {};
  let sent = 0;
  for (const batch of batches(rows)) {
    const reply = await sendImport(target.apiUrl, options.secretKey, batch);
    accepted += reply.accepted;
    for (const r of reply.rejected) rejected[r.reason] = (rejected[r.reason] ?? 0) + 1;
    sent += batch.length;
    options.onProgress?.(sent, rows.length);
  }
  return { found: rows.length, accepted, rejected };
}

/** The rows as sent, oldest request first; a row rejected in several requests (a resend) goes once. */
async function rejectedRows(target: Target, options: ReplayOptions): Promise<string[]> {
  const conditions = [`project = '${options.projectId}'`, `reason = '${options.reason}'`];
  if (options.fromMs !== undefined) conditions.push(`receivedat >= ${timestampLiteral(options.fromMs)}`);
  if (options.toMs !== undefined) conditions.push(`receivedat < ${timestampLiteral(options.toMs)}`);
  const engine = await openSqlEngine(target);
  try {
    const result = await engine.query(
      `SELECT "row" FROM rejections WHERE ${conditions.join(' AND ')} ORDER BY receivedat, requestid, rowindex`,
    );
    return [...new Set(result.rows.map((row) => String(row[0])))];
  } finally {
    await engine.close();
  }
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

type ImportReply = { accepted: number; rejected: Rejection[] };

/** One request until it is answered; only the retryable rows are sent again. */
async function sendImport(apiUrl: string, secretKey: string, rows: string[]): Promise<ImportReply> {
  let pending = rows;
  const reply: ImportReply = { accepted: 0, rejected: [] };
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= ImportRequests.maxAttempts)
      throw new Error(
        `replay stopped: ${pending.length} rows still failing after ${ImportRequests.maxAttempts} attempts; run it again (it is idempotent)`,
      );
    const response = await fetch(`${apiUrl}/v1/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      body: `{"events":[${pending.join(',')}]}`,
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
