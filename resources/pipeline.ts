/**
 * Queue attributes, function timeouts and event source mapping settings, read by the CDK
 * constructs and by the local runtime's pollers alike.
 */

export const ProcessFunction = {
  timeoutSeconds: 30,
  memoryMb: 1024,
} as const;

export const EventsQueue = {
  id: 'EventsQueue',
  /** Lambda's guidance for SQS sources: at least six times the function timeout. */
  visibilityTimeoutSeconds: 6 * ProcessFunction.timeoutSeconds,
  retentionSeconds: 14 * 24 * 3600,
  /** Receives before a message moves to the DLQ. */
  maxReceiveCount: 5,
  /** FIFO event source mappings take at most 10 and reject a batching window. */
  batchSize: 10,
  /**
   * Concurrent process invocations the event source mapping may run (Lambda allows 2 to 1000).
   * A FIFO source never runs more than one batch per message group at a time, so this caps the
   * write rate to DynamoDB and keeps the rest of the account's concurrency for the API functions:
   * 50 invocations of 10 messages, each message up to hundreds of rows, is far above the 20,000
   * events/s target, and a throttled process function would only spend receives.
   */
  maximumConcurrency: 50,
  /** One SQS message carries many rows of one device; the API caps a message at 1 MiB, we pack to 256 KB. */
  maxMessageBytes: 256 * 1024,
  /** SendMessageBatch: at most 10 entries and 1 MiB in all. */
  maxBatchEntries: 10,
  maxBatchRequestBytes: 1024 * 1024,
} as const;

export const DeadLetterQueue = {
  id: 'EventsDlq',
  retentionSeconds: 14 * 24 * 3600,
} as const;

export const AggregateFunction = {
  timeoutSeconds: 60,
  memoryMb: 1024,
} as const;

export const EventsStreamMapping = {
  batchSize: 500,
  /** Waiting up to this long for a fuller batch means fewer counter transactions per event. */
  maxBatchingWindowSeconds: 2,
  /** Retries before a batch goes to the on-failure destination; counting is idempotent, so retries are safe. */
  retryAttempts: 20,
  bisectBatchOnError: false,
  startingPosition: 'TRIM_HORIZON',
  /** Only inserts are counted: an event is written once and never updated. */
  eventNames: ['INSERT'],
} as const;

export const ApiFunctions = {
  ingest: { timeoutSeconds: 29, memoryMb: 1769 },
  query: { timeoutSeconds: 29, memoryMb: 1024 },
} as const;
