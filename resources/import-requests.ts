/** How the CLI sends rows through POST /v1/import (`tidemark import`, `tidemark rejections replay`). */

export const ImportRequests = {
  /** Rows per request of `tidemark import` unless `--batch-size` says otherwise; the API takes 2,000. */
  rowsPerRequest: 1000,
  /** Rows and bytes per request of a replay, well under the API's 2,000 rows and ~4.4 MB on the wire. */
  replayRowsPerRequest: 500,
  replayBytesPerRequest: 3 * 1024 * 1024,
  /** Attempts of one request (5xx, 429, no answer) before the command stops; a rerun resumes. */
  maxAttempts: 8,
  /** The first retry waits this long, doubling each time (or as long as `Retry-After` says, when longer). */
  firstRetryMs: 200,
} as const;
