/**
 * Attempts of the requests DynamoDB answers in part or cancels, which the SDK's own retries do not
 * cover (BatchWriteItem's unprocessed items, BatchGetItem's unprocessed keys, cancelled transactions).
 * Between attempts the adapters wait with jittered exponential backoff.
 */

export const Retries = {
  /** Attempts of one DynamoDB request by the SDK (lambdas/adapters/clients.ts); the first and up to 5 retries. */
  dynamoAttempts: 6,
  /** The most the SDK waits before one retry of a DynamoDB request (full jitter below it): 5 retries take at most ~2.5 s. */
  dynamoMaxBackoffMs: 1_000,
  /** One DynamoDB request attempt gives up after this long (a socket that never answers), and is retried. */
  dynamoRequestTimeoutMs: 10_000,
  /** BatchWrite attempts for one batch of rejected rows: the first and up to 7 retries (about 2.5 s of backoff at most). */
  rejectionBatchWriteAttempts: 8,
  /** TransactWriteItems attempts when registering a project's new names is cancelled by a conflict or throttling. */
  nameRegisterAttempts: 4,
  /** BatchGetItem attempts when reading the rejection budget's shards. */
  budgetBatchGetAttempts: 5,
} as const;

/** Requests one invocation keeps in flight for one piece of work. */
export const InFlight = {
  /** Conditional writes per queue message; the SDK's default agent keeps 50 sockets. */
  writesPerMessage: 32,
  /** A request's unknown event names and sources looked up or registered at a time: a request can carry 2,000 of them. */
  namesPerRequest: 8,
} as const;
