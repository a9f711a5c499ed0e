/**
 * What a Lambda invocation would last on AWS, stated rather than measured: DynamoDB Local, fauxqs
 * and a local folder are far slower or faster than the real services, so billed durations come from
 * the calls each function made in the run times these latencies, divided by how many of its calls
 * overlap, plus its CPU. DynamoDB: "single-digit millisecond" reads and writes (DynamoDB Developer
 * Guide, "What is Amazon DynamoDB?"); S3: small requests have a median in the tens of milliseconds
 * (Best Practices Design Patterns: Optimizing Amazon S3 Performance, "Timeouts and Retries for
 * Latency-Sensitive Applications"); SQS: tens of milliseconds for a batch send.
 */
export const StatedLatencyMs: Record<string, number> = {
  'dynamodb.GetItem': 5,
  'dynamodb.PutItem': 6,
  'dynamodb.UpdateItem': 6,
  'dynamodb.Query': 8,
  'dynamodb.BatchGetItem': 10,
  'dynamodb.BatchWriteItem': 12,
  'dynamodb.TransactWriteItems': 20,
  'sqs.SendMessageBatch': 20,
  's3.PutObject': 40,
  's3.GetObject': 30,
};

/** Calls of one invocation in flight at once (process: 32 writes per message; lake: one PUT per partition in parallel). */
export const CallOverlap: Record<string, number> = { ingest: 2, process: 8, aggregate: 2, lake: 2 };

/**
 * CPU per record where the run does not measure it (ingest's is measured by the CPU bench, the lake's by encoding).
 * Compaction's: 2.8 s for a 100,000-event project-day (decode, dedup, sort, encode) on the 2-core machine,
 * docs/performance.md "Compaction: memory and time per project-day".
 */
export const StatedCpuMsPerRecord: Record<string, number> = { process: 0.05, aggregate: 0.02, compaction: 0.028 };
