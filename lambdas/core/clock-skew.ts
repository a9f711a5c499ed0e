/**
 * How far to move a row's time for the sender's clock skew, knowing when its library stamps `sentAt`.
 *
 * Segment's correction, `timestamp + (receivedAt − sentAt)`, assumes `sentAt` is the device's clock
 * at the moment of sending, so the difference is skew alone. That holds for libraries that stamp
 * `sentAt` on every attempt. Segment's Swift, Kotlin and C# libraries now stamp it "when the batch is
 * complete and initially tried" (Segment docs, "Common fields", src/connections/spec/common.md,
 * segmentio/segment-docs PR #6252 and #7645): a batch that then waits offline for hours arrives with
 * a `sentAt` hours old, and the difference is the wait plus the skew, which cannot be told apart.
 * Moving such events forward by the wait would put them in the wrong hour and session.
 *
 * Policy (docs/sessions.md, "Time"):
 * - per attempt (Tidemark's SDK, Segment analytics-node and analytics.js), and libraries we do not
 *   know: correct by the whole difference once it passes the threshold, as Segment does;
 * - once (analytics-kotlin, analytics-swift, analytics-csharp): a `sentAt` behind the server's clock
 *   may be waiting, so it is left alone; a `sentAt` ahead of the server's clock cannot come from
 *   waiting (waiting only makes it older), so a clock running ahead is still corrected.
 */

export const SentAtStamping = {
  /** `sentAt` is the device's clock at this attempt: the difference to receipt is skew (and transit). */
  perAttempt: 'per_attempt',
  /** `sentAt` is the device's clock at the first attempt: the difference also holds any offline wait. */
  firstAttempt: 'first_attempt',
} as const;
export type SentAtStamping = (typeof SentAtStamping)[keyof typeof SentAtStamping];

/** `context.library.name` of the libraries that stamp `sentAt` once per batch, lower-cased (C# sends `Analytics-CSharp`). */
const STAMPED_ONCE: ReadonlySet<string> = new Set(['analytics-kotlin', 'analytics-swift', 'analytics-csharp']);

/**
 * Every other library, ours (`@tidemark/sdk`, which stamps at each attempt: sdk/src/client.ts) and
 * Segment's analytics-node and analytics.js included, and rows with no library: Segment's rule.
 */
export function sentAtStampingOf(libraryName: string | undefined): SentAtStamping {
  return libraryName !== undefined && STAMPED_ONCE.has(libraryName.trim().toLowerCase())
    ? SentAtStamping.firstAttempt
    : SentAtStamping.perAttempt;
}

export type SkewInput = {
  /** The `sentAt` that came with the row or its batch, epoch ms. */
  readonly sentAtMs: number;
  readonly receivedAtMs: number;
  /** Differences at or below this are transit and ordinary clock drift, never corrected. */
  readonly thresholdMs: number;
  readonly stamping: SentAtStamping;
};

/** Milliseconds to add to the row's own time (0: keep it). */
export function skewCorrectionMs({ sentAtMs, receivedAtMs, thresholdMs, stamping }: SkewInput): number {
  const skew = receivedAtMs - sentAtMs;
  if (Math.abs(skew) <= thresholdMs) return 0;
  // Positive: the device's `sentAt` is behind ours; with a once-stamped `sentAt` that is (or may be) waiting.
  if (stamping === SentAtStamping.firstAttempt && skew > 0) return 0;
  return skew;
}
