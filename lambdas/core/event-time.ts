/**
 * Normalization, step 3: the event's time. The row's own time (or the receive time when it sent
 * none), corrected for the client's clock skew as its library's way of stamping `sentAt` allows
 * (clock-skew.ts), far-future times clamped to the receive time, and too old a time refused outside
 * `/v1/import`.
 */
import { sentAtStampingOf, skewCorrectionMs } from './clock-skew.js';
import { dig } from './json-object.js';
import type { NormalizeContext } from './normalize.js';
import { isCanonicalIso, parseTimestamp, toIso } from './timestamps.js';
import { RejectionReason, type Json, type JsonObject } from './types.js';

const DAY_MS = 86_400_000;

export type EventTime = {
  /** The corrected time, ISO. */
  readonly timestamp: string;
  /** The time the client sent (receive time when it sent none), ISO. */
  readonly originalTimestamp: string;
  /** False when the row sent no time of its own. */
  readonly sentByClient: boolean;
  /** The time was in the future past the tolerance, and became the receive time. */
  readonly clamped: boolean;
};

export type TimeResult =
  | { readonly ok: true; readonly time: EventTime }
  | { readonly ok: false; readonly reason: typeof RejectionReason.validation | typeof RejectionReason.tooOld; readonly error: string };

export function eventTime(sent: Json | undefined, row: JsonObject, ctx: NormalizeContext): TimeResult {
  const originalMs = sent === undefined ? ctx.receivedAt : parseTimestamp(sent);
  if (originalMs === undefined) {
    return {
      ok: false,
      reason: RejectionReason.validation,
      error: `timestamp: cannot read ${JSON.stringify(sent).slice(0, 64)} as a time`,
    };
  }
  const sentAt = parseTimestamp(row.sentAt) ?? ctx.sentAt;
  const { correctedMs, clamped } = correctTime(originalMs, sent !== undefined ? sentAt : undefined, row, ctx);
  if (ctx.mode !== 'import' && correctedMs < ctx.receivedAt - ctx.maxEventAgeDays * DAY_MS) {
    return {
      ok: false,
      reason: RejectionReason.tooOld,
      error: `event time ${toIso(correctedMs)} is older than ${ctx.maxEventAgeDays} days (maxEventAgeDays); use /v1/import for backfills`,
    };
  }
  // Only `/v1/import` (no age floor) gets here with such a time: a `sentAt` far ahead of the receive
  // time (declared or actual) moves the row before 1970, which `parseTimestamp` refuses as a time
  // anywhere else; far enough back, its day bucket and lake partition get a negative year.
  if (correctedMs < 0) {
    return {
      ok: false,
      reason: RejectionReason.validation,
      error: `timestamp: ${toIso(originalMs)} corrected for clock skew (sentAt ${toIso(sentAt!)}, received ${toIso(ctx.receivedAt)}) falls before 1970; send the sentAt and receivedAt of the original request`,
    };
  }
  // Most SDKs already send the canonical form; reuse it rather than format it again.
  const originalTimestamp = typeof sent === 'string' && isCanonicalIso(sent) ? sent : toIso(originalMs);
  const timestamp = correctedMs === originalMs ? originalTimestamp : toIso(correctedMs);
  return { ok: true, time: { timestamp, originalTimestamp, sentByClient: sent !== undefined, clamped } };
}

/** The clock-skew correction its library's way of stamping `sentAt` allows (clock-skew.ts), then the clamp of far-future times to receive time. */
function correctTime(originalMs: number, sentAtMs: number | undefined, row: JsonObject, ctx: NormalizeContext) {
  const correctedMs =
    sentAtMs === undefined
      ? originalMs
      : originalMs +
        skewCorrectionMs({
          sentAtMs,
          receivedAtMs: ctx.receivedAt,
          thresholdMs: ctx.skewThresholdMs,
          stamping: sentAtStampingOf(libraryNameOf(row)),
        });
  const clamped = correctedMs > ctx.receivedAt + ctx.futureToleranceMs;
  return { correctedMs: clamped ? ctx.receivedAt : correctedMs, clamped };
}

/** `context.library.name`, which says how the row's library stamps `sentAt`. */
function libraryNameOf(row: JsonObject): string | undefined {
  const name = dig(row, ['context', 'library', 'name']);
  return typeof name === 'string' ? name : undefined;
}
