/** What `onError` receives: a `kind` the app can act on, a message for people, and the events concerned. */
export const TidemarkErrorKind = {
  /** The request never reached the API: offline, refused connection, timeout. Retried with backoff. */
  network: 'network',
  /** The endpoint's host name did not resolve (reported where the platform says so: Node). Retried. */
  dns: 'dns',
  /** The browser blocked the response: the API is reachable but does not allow this page's origin. Retried. */
  cors: 'cors',
  /** The API answered 5xx or 408. Retried with backoff. */
  server: 'server',
  /** The API refused the write key (401/403); sending pauses until the next flush. */
  auth: 'auth',
  /** The API refused the whole request for a reason resending will not fix (another 4xx); sending pauses. */
  refused: 'refused',
  /** The API rejected rows for good (per-row 4xx reasons); they left the queue. */
  rejected: 'rejected',
  /** A single event too large for the API; it left the queue. */
  too_large: 'too_large',
  /** Rows that failed `maxAttempts` times as retryable; they left the queue so they never block it. */
  dropped: 'dropped',
  /** The queue could not be written to storage; the events are kept in memory. */
  storage: 'storage',
} as const;
export type TidemarkErrorKind = (typeof TidemarkErrorKind)[keyof typeof TidemarkErrorKind];

export type TidemarkError = {
  readonly kind: TidemarkErrorKind;
  readonly message: string;
  readonly eventIds: readonly string[];
  /** The HTTP status, when the API answered. */
  readonly status?: number;
  /** The platform's error, when there was one. */
  readonly cause?: unknown;
};

/** Error codes Node's fetch (undici) puts on `cause` when a host name does not resolve. */
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);

/**
 * Names a failed request. Node says why in `error.cause.code`; browsers answer every failure with
 * the same opaque TypeError, so there a request the page may not read (`mode: 'no-cors'`) to the
 * endpoint tells the two apart: if it gets through, the API is reachable and CORS refused the response.
 */
export async function classifyFailure(
  error: unknown,
  probeReachable: (() => Promise<boolean>) | undefined,
): Promise<'network' | 'dns' | 'cors'> {
  let cause: unknown = error;
  for (let depth = 0; cause && depth < 5; depth++, cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return DNS_CODES.has(code) ? 'dns' : 'network';
  }
  if (probeReachable && (await probeReachable().catch(() => false))) return 'cors';
  return 'network';
}
