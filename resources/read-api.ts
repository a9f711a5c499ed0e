/** The read API's ranges and page sizes (GET /v1/events, /v1/rejections, /v1/sessions, /v1/aggregates, device sessions). */

export const ReadApi = {
  /** Rows a listing page holds unless `limit` says otherwise, and the most it may ask for. */
  defaultListLimit: 100,
  maxListLimit: 1000,
  /** The widest range a listing or /v1/sessions reads: the hot tier keeps recent events only (docs/sessions.md). */
  maxRecentRangeDays: 31,
  /** The widest range each granularity of /v1/aggregates answers: a month of hours, a year of days. */
  maxAggregateRangeDays: { hour: 31, day: 366 },
  /** Sessions /v1/sessions lists unless `limit` says otherwise, and the most it may ask for. */
  defaultSessionList: 50,
  maxSessionList: 1000,
  /** Stored events one /v1/sessions request may read: about 2 s of BatchGets, well inside API Gateway's 29 s. */
  maxSessionEventsRead: 20_000,
  /** Events one device-sessions call reads at most, so a busy device cannot run the function out of time. */
  deviceSessionEventsPerCall: 10_000,
  /** Counter queries in flight for one /v1/aggregates request: a project with many event names must not open hundreds of sockets. */
  counterReadsInFlight: 32,
  /** Items a filtered listing query asks DynamoDB for at least: a filter applies after the limit, so a sparse one needs fewer round trips. */
  minFilteredQueryItems: 100,
} as const;
