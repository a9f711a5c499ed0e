/**
 * Lambda's synchronous invoke payload cap: "For synchronous invocations, the maximum payload size
 * is 6 MB" (Lambda API reference, Invoke; the Lambda quotas page gives 6 MB each for request and
 * response). Counted here as 6 MiB, the stricter reading.
 */
export const LAMBDA_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;
/**
 * Room in the invoke payload for the proxy event around the body: headers (API Gateway allows
 * 10 KiB of them, and the event carries them twice, in `headers` and `multiValueHeaders`), the
 * request context and JSON escaping. 64 KiB is several times what a real request needs.
 */
const PROXY_EVENT_ENVELOPE_BYTES = 64 * 1024;
/**
 * The largest raw request body that reaches the ingest function: bodies arrive base64-encoded
 * (the API passes every content type as binary), 4 bytes for every 3, inside the invoke payload. 4,669,440 bytes
 * (4,560 KiB, about 4.45 MiB); larger bodies get a 413 whatever their content.
 */
export const MAX_WIRE_BYTES = Math.floor(((LAMBDA_INVOKE_PAYLOAD_BYTES - PROXY_EVENT_ENVELOPE_BYTES) * 3) / 4 / 1024) * 1024;

/** Product limits and defaults of DESIGN.md section 2 and 3; overridable through stack props and env. */
export const Limits = {
  maxEventsPerRequest: 2000,
  /** After decompression. */
  maxRequestBytes: 10 * 1024 * 1024,
  /** On the wire, before decompression: what Lambda really takes (see MAX_WIRE_BYTES). */
  maxWireBytes: MAX_WIRE_BYTES,
  /**
   * Bytes of events in one `/v1/events` page: Lambda's response is capped at 6 MB too (beyond it
   * API Gateway answers 502), so a page stops before 5 MiB and hands back a cursor.
   */
  maxResponseBytes: 5 * 1024 * 1024,
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
  /**
   * The hot tier: days a stored event stays in DynamoDB after it was received (the lake keeps it
   * for ever). It is also the dedup window of /v1/import (docs/reliability.md). 35 days serves
   * `/v1/events`' 31-day windows and a month of resends; at ~1 KB per event with its index entry,
   * each further month in DynamoDB Standard costs ~$0.24 per million events, over a hundred times
   * what the same month costs in the lake (docs/performance.md).
   */
  eventRetentionDays: 35,
  rejectionRetentionDays: 30,
  /** Characters of a rejected row kept in the audit store (the lake keeps the row whole). */
  rejectedRowAuditChars: 2048,
  /** Ingest requests per second per project, counted in one-second windows (the default of `ProjectQuotaDefaults.requestsPerSecond`). */
  projectRateLimitPerSecond: 100,
} as const;

/**
 * What one project may send by default (docs/scaling.md, "Quotas"): enough for one popular app at
 * 20,000 events/s, and a bound on what one project (or a leaked public write key) can spend of the
 * table's shared capacity and the bill. `tidemark limits set --project P` changes them per project.
 */
export const ProjectQuotaDefaults = {
  requestsPerSecond: Limits.projectRateLimitPerSecond,
  rowsPerSecond: 20_000,
  /** Request bodies as received (decompressed), per second. */
  bytesPerSecond: 20 * 1024 * 1024,
  /** Rows per UTC day: 100 million, about $204 of pipeline cost a day at the modelled $2.04 per million (docs/performance.md). */
  rowsPerDay: 100_000_000,
} as const;

/**
 * What one project may make the stack keep by default (docs/scaling.md, "Caps"); changed per project
 * with `tidemark limits set` like the quotas above.
 */
export const ProjectCapDefaults = {
  /**
   * Distinct event names: each one adds a counter item per hour and source and widens every
   * aggregate query, so a client minting names (an id in the name) must not grow them without bound.
   */
  eventNames: 500,
  /** Distinct sources, likewise (counters are kept per event and source). */
  sources: 100,
  /**
   * Rejected rows kept per UTC day in the audit store of `/v1/rejections` (a DynamoDB write each): a
   * flood of garbage costs at most this many row writes a day; the rest are counted (`notKept` of
   * `/v1/rejections`, metric `RejectionsOverDailyCap`). Every row still gets its reason in the 202,
   * and the lake, when on, still keeps every one (one object per request).
   */
  rejectionsKeptPerDay: 10_000,
} as const;

export type LimitName = keyof typeof Limits;
