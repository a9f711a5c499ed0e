/** The operations alarms' default thresholds (lib/constructs/operations.ts); a stack may override each. */

export const AlarmThresholdDefaults = {
  /** Seconds the oldest queued message may wait. */
  oldestMessageAgeSeconds: 300,
  /** Milliseconds the stream consumer may lag. */
  iteratorAgeMs: 60_000,
  /** Percent of API requests answered 5xx over 5 minutes. */
  api5xxPercent: 1,
} as const;
