/**
 * The ingest use case: normalize every row, hold its event name and source to the project's caps,
 * queue the accepted ones, and say per row what happened; keep the rejected ones for audit up to
 * the project's daily cap. A 202 means every row counted in `accepted` is durably in SQS.
 */
import { Limits } from '../../resources/index.js';
import { normalizeRow, rowForAudit, rowForReplay } from '../core/normalize.js';
import type { RowTranslator } from '../core/openpanel.js';
import { packMessages, type AcceptedRow } from '../core/packing.js';
import { applyCardinality, namesInUse, type ProjectCaps } from '../core/project-caps.js';
import { EventsQueue } from '../../resources/index.js';
import type { IngestMode, Rejection } from '../core/types.js';
import { RejectionReason } from '../core/types.js';
import type { IngestDependencies } from './ports.js';

export type IngestRequest = {
  readonly projectId: string;
  /** The project's caps, read once for the request (with its quotas) by the caller. */
  readonly caps: ProjectCaps;
  readonly requestId: string;
  readonly mode: IngestMode;
  readonly rows: readonly unknown[];
  readonly sentAt?: number;
  /** When the server received this request, epoch ms: the day of its audit rows and their budget. */
  readonly receivedAt: number;
  /**
   * When the rows were first received, when an import says so (a replay of kept rejections): skew is
   * measured against it and it is stored as the events' `receivedAt`, so a replayed row gets the
   * correction its first receipt would have made. Otherwise `receivedAt`.
   */
  readonly rowsReceivedAt?: number;
  readonly userAgent?: string;
  /** The `Idempotency-Key` header, already checked with `IDEMPOTENCY_KEY_PATTERN`. */
  readonly idempotencyKey?: string;
  /** `?validate=true`: answer the same shape, enqueue nothing. */
  readonly validateOnly: boolean;
  /** Turns rows of another wire protocol (OpenPanel's) into rows normalization reads; rejects per row. */
  readonly translator?: RowTranslator;
};

export type IngestResult = { readonly accepted: number; readonly rejected: Rejection[]; readonly clamped: number };

export async function ingestRows(request: IngestRequest, deps: IngestDependencies): Promise<IngestResult> {
  const accepted: AcceptedRow[] = [];
  const rejected: Rejection[] = [];
  let clamped = 0;
  const context = {
    mode: request.mode,
    receivedAt: request.rowsReceivedAt ?? request.receivedAt,
    maxEventAgeDays: deps.maxEventAgeDays,
    futureToleranceMs: Limits.futureToleranceMs,
    skewThresholdMs: Limits.skewThresholdMs,
    maxEventBytes: Limits.maxEventBytes,
    ...(request.sentAt === undefined ? {} : { sentAt: request.sentAt }),
    ...(request.userAgent === undefined ? {} : { userAgent: request.userAgent }),
    ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
  };
  // Rows another protocol sent, in Tidemark's shape: a rejected one is kept so, for a replay through /v1/import.
  const translatedRows: unknown[] = [];
  request.rows.forEach((sent, index) => {
    const translated = request.translator ? request.translator.translate(sent, index) : { ok: true as const, row: sent };
    if (!translated.ok) {
      rejected.push(translated.rejection);
      return;
    }
    if (request.translator) translatedRows[index] = translated.row;
    const result = normalizeRow(translated.row, index, context);
    if (result.ok) {
      accepted.push({ index, event: result.event, json: result.json, bytes: result.bytes });
      if (result.clamped) clamped++;
    } else {
      rejected.push(result.rejection);
    }
  });

  // Names are registered only by rows that are sent: `?validate=true` does not hold rows to the caps.
  if (!request.validateOnly && accepted.length > 0) {
    const refused = await deps.admitNames(request.projectId, namesInUse(accepted.map((row) => row.event)), request.caps);
    const held = applyCardinality(accepted, refused, request.caps, request.projectId);
    rejected.push(...held.rejected);
    if (held.rejected.length > 0) accepted.splice(0, accepted.length, ...held.admitted);
  }

  if (!request.validateOnly && accepted.length > 0) {
    const { unsent } = await deps.queue.send(packMessages(request.projectId, accepted, EventsQueue.maxMessageBytes));
    const unsentRows = new Set<number>();
    for (const { message, retryable, error } of unsent) {
      for (const index of message.rowIndexes) {
        unsentRows.add(index);
        rejected.push(
          retryable
            ? { index, reason: RejectionReason.internal, error: 'could not be queued; resend this row', retryable: true }
            : {
                index,
                reason: RejectionReason.internal,
                error: `the queue refused this row (${error.slice(0, 200)}); resending it will not help`,
                retryable: false,
              },
        );
      }
    }
    if (unsentRows.size > 0) accepted.splice(0, accepted.length, ...accepted.filter((row) => !unsentRows.has(row.index)));
  }

  rejected.sort((a, b) => a.index - b.index);
  if (!request.validateOnly && rejected.length > 0) await keepForAudit(request, rejected, translatedRows, deps);
  return { accepted: accepted.length, rejected, clamped };
}

/**
 * Keeps rejected rows as sent, less what may never be stored (a raw IP: `context.ip`, OpenPanel's
 * `__ip`): every one whole in the lake (one object per request), and in the audit store of
 * `/v1/rejections` (a write per row) up to the project's daily cap, past which they are counted.
 * The lake keeps what replaying them needs to correct their time as on first receipt: the batch's
 * `sentAt` and the rows' receive time (an import's declared one, so a row refused again on replay
 * keeps its first receipt). The audit store dates rows by this request, which its expiry counts from.
 */
async function keepForAudit(
  request: IngestRequest,
  rejected: readonly Rejection[],
  translatedRows: readonly unknown[],
  deps: IngestDependencies,
): Promise<void> {
  const receivedAt = new Date(request.receivedAt).toISOString();
  const rowsReceivedAt = new Date(request.rowsReceivedAt ?? request.receivedAt).toISOString();
  const sentAt = request.sentAt === undefined ? {} : { sentAt: new Date(request.sentAt).toISOString() };
  const keptRow = (index: number) =>
    request.translator ? request.translator.forAudit(request.rows[index]) : rowForAudit(request.rows[index]);
  const keep = await deps.rejectionsToKeep(request.projectId, request.receivedAt, rejected.length, request.caps.rejectionsKeptPerDay);
  const withinCap = rejected.slice(0, keep);
  if (withinCap.length > 0) {
    await deps.recordRejections(
      request.projectId,
      withinCap.map((rejection) => ({ ...rejection, receivedAt, requestId: request.requestId, row: auditText(keptRow(rejection.index)) })),
    );
  }
  await deps.keepRejectedRows?.(
    request.projectId,
    rejected.map((rejection) => ({
      ...rejection,
      receivedAt: rowsReceivedAt,
      ...sentAt,
      requestId: request.requestId,
      row: keptRow(rejection.index),
      ...(translatedRows[rejection.index] === undefined
        ? {}
        : { replayRow: rowForReplay(translatedRows[rejection.index], request.userAgent) }),
    })),
  );
}

/** The rejected row as kept for audit: truncated, and never a reason to fail the request. */
function auditText(row: unknown): string {
  try {
    return (JSON.stringify(row) ?? 'undefined').slice(0, Limits.rejectedRowAuditChars);
  } catch {
    return '(not kept: nested too deeply to serialize)';
  }
}
