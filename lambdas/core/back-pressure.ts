/**
 * Throttling is back-pressure, not failure: work that DynamoDB throttled (after the SDK's own
 * standard retries) is tried again in the same invocation, with jittered backoff, for as long as
 * the invocation has time, and never counted against a message's receives for that reason alone.
 */

/** Error names AWS uses for "slow down" (DynamoDB and the SDK's retry quota), by `name`. */
const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
]);

export const isThrottling = (error: unknown): boolean =>
  error instanceof Error && (THROTTLING_ERRORS.has(error.name) || /retry quota|throttl/i.test(error.message));

/** The invocation has too little time left to start (or retry) a message or a write: it is left for the next receive. */
export class OutOfTimeError extends Error {
  constructor(remainingMs: number, reserveMs: number) {
    super(`${remainingMs} ms left in the invocation, under the ${reserveMs} ms reserve: too little to start more work`);
    this.name = 'OutOfTimeError';
  }
}

export type Clock = {
  /** Milliseconds left in the invocation (`context.getRemainingTimeInMillis`). */
  readonly remainingMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
};

/** Throws `OutOfTimeError` unless at least `reserveMs` remain in the invocation. */
export function assertTimeLeft(clock: Pick<Clock, 'remainingMs'>, reserveMs: number): void {
  const remaining = clock.remainingMs();
  if (remaining < reserveMs) throw new OutOfTimeError(remaining, reserveMs);
}

/**
 * Runs `work` when at least `reserveMs` remain, again after throttling while that holds. Work that
 * is retried must be idempotent (every processor write is conditional or monotonic).
 */
export async function withBackPressure<T>(work: () => Promise<T>, reserveMs: number, clock: Clock): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    assertTimeLeft(clock, reserveMs);
    try {
      return await work();
    } catch (error) {
      if (!isThrottling(error)) throw error;
      await clock.sleep(Math.random() * Math.min(2000, 50 * 2 ** attempt));
    }
  }
}

export type Backoff = (attempt: number) => Promise<void>;

/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): concurrent writers stop colliding. */
export const jitteredBackoff: Backoff = (attempt) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1000, 20 * 2 ** attempt)));
