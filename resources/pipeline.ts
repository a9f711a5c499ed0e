/**
 * Queue attributes, function timeouts and event source mapping settings, read by the CDK
 * constructs and by the local runtime's pollers alike.
 */

export const ProcessFunction = {
  timeoutSeconds: 30,
  memoryMb: 1024,
  /**
   * Time a message may need: a 256 KB message is a few hundred conditional writes, 32 in flight. With
   * less left, the invocation stops taking messages rather than be killed by its timeout mid-way.
   */
  messageTimeReserveMs: 8_000,
} as const;

export const EventsQueue = {
  id: 'EventsQueue',
  /** Lambda's guidance for SQS sources: at least six times the function timeout. */
  visibilityTimeoutSeconds: 6 * ProcessFunction.timeoutSeconds,
  retentionSeconds: 14 * 24 * 3600,
  /**
   * Receives before a message moves to the DLQ. Five is enough because a receive is spent only by a
   * failure that another receive cannot cure or by a crash: throttling is retried inside the
   * invocation while it has time (lambdas/core/back-pressure.ts, on top of the SDK's standard retry
   * mode), and messages not yet started when time runs low are handed back early instead of timing
   * out with the invocation. A healthy message reaches the DLQ only if five whole invocations in a
   * row cannot store it; poison (a body that does not parse) fails at once on every receive.
   */
  maxReceiveCount: 5,
  /**
   * High-throughput FIFO: deduplication and the throughput quota per message group (one device)
   * instead of per queue, so the 5-minute deduplication of a resend works per device and the queue
   * is not held to one queue-wide FIFO limit (SQS developer guide, "High throughput for FIFO queues").
   * Values as the SQS attributes `DeduplicationScope` and `FifoThroughputLimit` spell them.
   */
  deduplicationScope: 'messageGroup',
  fifoThroughputLimit: 'perMessageGroupId',
  /**
   * Concurrent process invocations the mapping may run (ScalingConfig.MaximumConcurrency, 2 to 1000).
   * FIFO groups already bound it by the devices with messages waiting; this caps the write rate one
   * burst of backlog can put on the tables, so a backlog drains at a steady rate instead of throttling.
   */
  maxConcurrency: 50,
  /** FIFO event source mappings take at most 10 and reject a batching window. */
  batchSize: 10,
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
  /**
   * Retries before a batch goes to the on-failure destination: the most the mapping allows. A record
   * that cannot be applied is quarantined by the function (lambdas/aggregate/aggregate.ts), so what
   * fails a batch is transient (throttling past the in-function retries, a crash); a discarded batch
   * would lose counts, so it is retried for as long as the stream keeps the records (24 hours).
   */
  retryAttempts: 10_000,
  /** The function bisects itself, per record and without losing the others' counts. */
  bisectBatchOnError: false,
  /**
   * A tumbling window only so that each invocation carries its shard id, the key of the shard's
   * high-water mark (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#services-ddb-windows);
   * the window's state is unused. Parallelization factor stays 1: the mark needs a shard's records
   * applied in order by one invocation at a time.
   */
  tumblingWindowSeconds: 60,
  startingPosition: 'TRIM_HORIZON',
  /** Only inserts are counted: an event is written once and never updated. */
  eventNames: ['INSERT'],
} as const;

/** Stream batches that exhausted their retries, kept on the mapping's on-failure queue: SQS's longest retention. */
export const FailedStreamBatches = {
  retentionDays: 14,
} as const;

export const ApiFunctions = {
  ingest: { timeoutSeconds: 29, memoryMb: 1769 },
  query: { timeoutSeconds: 29, memoryMb: 1024 },
} as const;
