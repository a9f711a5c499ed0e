/** Product limits and defaults of DESIGN.md section 2 and 3; overridable through stack props and env. */
export const Limits = {
  maxEventsPerRequest: 2000,
  maxRequestBytes: 10 * 1024 * 1024,
  maxEventBytes: 64 * 1024,
  maxEventAgeDays: 5,
  /**
   * The numeric contract of `value` (docs/reliability.md): |value| at most 1e12, kept to 6 decimal
   * places; counters carry sums as integer micro-units, exact in DynamoDB's 38 digits.
   */
  maxAbsValue: 1e12,
  valueFractionDigits: 6,
  /**
   * UTF-8 bytes, after JSON escaping, of each string that becomes part of an item key (`event`,
   * `deviceId`, `source`, `userId`, `sessionId`, `eventId`): two of them side by side with their
   * JSON punctuation stay far below DynamoDB's 1,024-byte sort key (docs/reliability.md, "Key limits").
   */
  maxKeyFieldBytes: 256,
  /** Timestamps further than this in the future are clamped to receive time. */
  futureToleranceMs: 10 * 60 * 1000,
  /** Clock skew between `sentAt` and receive time above which timestamps are corrected. */
  skewThresholdMs: 60 * 1000,
  sessionLengthMs: 30 * 60 * 1000,
  liveWindowMs: 30 * 60 * 1000,
  eventRetentionDays: 400,
  rejectionRetentionDays: 30,
  /** Ingest requests per second per project, counted in one-second windows. */
  projectRateLimitPerSecond: 100,
} as const;

export type LimitName = keyof typeof Limits;
