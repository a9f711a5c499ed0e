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
   * `deviceId`, `source`, `userId`, `sessionId`, `eventId`). Keys hold them through `keyPart`, which
   * hashes a part over 200 bytes, so any length fits a key; this bound keeps the raw values kept as
   * attributes small, and takes every name of up to 256 characters of the BMP, as clients could
   * always send (docs/reliability.md, "Key limits").
   */
  maxKeyFieldBytes: 1024,
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
