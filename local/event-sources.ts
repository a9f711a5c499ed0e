/**
 * The event sources, as AWS drives the functions: the SQS event source mapping (events queue ->
 * process) and two DynamoDB Streams mappings on the events table (-> aggregate, -> lake), each
 * with its own saved positions.
 */
import { join } from 'node:path';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { EventsQueue, EventsStreamMapping, LakeFunction, LakeStreamMapping } from '../resources/index.js';
import type { FaultInjector } from './faults.js';
import type { WiredFunctions } from './function-wiring.js';
import type { PipelineStats } from './pipeline-stats.js';
import type { LocalQueues } from './provision.js';
import { SqsPoller } from './sqs-poller.js';
import { StreamPoller, type StreamPollerOptions } from './stream-poller.js';

export type EventSourceOptions = {
  readonly dataDir: string;
  readonly sqsClient: SQSClient;
  readonly streamsClient: DynamoDBStreamsClient;
  readonly queues: LocalQueues;
  readonly eventsStreamArn: string;
  readonly functions: WiredFunctions;
  readonly faults: FaultInjector;
  readonly sqsConcurrency?: number;
  readonly failedVisibilitySeconds?: number;
  readonly streamRetryDelayMs?: number;
  readonly streamBatchingWindowMs?: number;
  readonly log: (line: string) => void;
};

export type EventSources = {
  readonly sqs: SqsPoller;
  readonly aggregateStream: StreamPoller;
  readonly lakeStream: StreamPoller;
  /** True when every mapping polls (what /health waits for). */
  running(): boolean;
  start(): void;
  /** One stopper per mapping. */
  stoppers(): (() => Promise<void>)[];
};

export function createEventSources(options: EventSourceOptions): EventSources {
  const { sqsClient, streamsClient, queues, functions, faults, log } = options;
  const stats: PipelineStats = functions.stats;
  const report = (where: string, message: string) => {
    stats.recordError(where, message);
    log(`${where}: ${message}`);
  };
  const onError = (where: string) => (error: unknown) => report(where, (error as Error)?.message ?? String(error));
  // Lambda's SQS poller is billed like any client: count its receives and deletes too.
  functions.calls.attach(sqsClient, 'sqs');
  const sqs = new SqsPoller({
    client: sqsClient,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    handler: functions.process,
    beforeInvoke: (records) => faults.expireVisibility(sqsClient, queues.queueUrl, records),
    // Two invocations at a time: DynamoDB Local takes ~1,000 writes/s on these machines, and four pollers of
    // ten 100-event messages each offered it ~10,000 writes at once, so invocations ran past their 30 s timeout
    // (and spent healthy messages' receives) while throughput stayed where DynamoDB Local held it.
    concurrency: options.sqsConcurrency ?? 2,
    failedVisibilitySeconds: options.failedVisibilitySeconds ?? 1,
    onError: onError('process'),
    onFailedMessages: (failed, received) => {
      // SQS moves a message to the DLQ once its receive count exceeds maxReceiveCount: one that failed
      // on its last allowed receive is never delivered again (SQS docs, "Using dead-letter queues").
      const last = failed.filter((r) => Number(r.attributes.ApproximateReceiveCount) >= EventsQueue.maxReceiveCount);
      const again = failed.length - last.length;
      if (again > 0) {
        stats.recordError(
          'process',
          `${again} of ${received} messages failed; SQS delivers them again (a message moves to the DLQ after ${EventsQueue.maxReceiveCount} failed receives)`,
        );
      }
      for (const record of last) {
        report(
          'process',
          `message ${record.messageId} (group ${record.attributes.MessageGroupId}) failed on its last receive (${record.attributes.ApproximateReceiveCount} of ${EventsQueue.maxReceiveCount}): it is moved to the DLQ, see npx tidemark dlq inspect`,
        );
      }
    },
  });
  // Both stream mappings get the same redelivery faults: counts and the lake must each show every event once whatever the batch boundaries.
  const streamMapping = (
    where: 'aggregate' | 'lake',
    handler: StreamPollerOptions['handler'],
    positionsFileName: string,
    maxBatchingWindowSeconds: number,
    consumer?: StreamPollerOptions['consumer'],
  ) =>
    new StreamPoller({
      client: streamsClient,
      streamArn: options.eventsStreamArn,
      handler,
      ...(consumer ? { consumer } : {}),
      redelivery: () => faults.streamRedelivery(),
      positionsFile: join(options.dataDir, positionsFileName),
      retryDelayMs: options.streamRetryDelayMs ?? 200,
      batchingWindowMs: options.streamBatchingWindowMs ?? maxBatchingWindowSeconds * 1000,
      onError: onError(where),
      // Lambda sends such a batch's pointer to the mapping's on-failure queue (alarmed on AWS); here the console shows it.
      onDiscard: (records) =>
        report(where, `discarded a batch of ${records.length} records after all retries (on AWS: its on-failure queue, and an alarm)`),
    });
  const aggregateStream = streamMapping(
    'aggregate',
    functions.aggregate,
    'stream-positions.json',
    EventsStreamMapping.maxBatchingWindowSeconds,
  );
  // The lake writer: a second, independent mapping on the same stream, with its own positions.
  const lakeStream = streamMapping('lake', functions.lake, 'lake-stream-positions.json', LakeStreamMapping.maxBatchingWindowSeconds, {
    functionName: 'lake',
    timeoutSeconds: LakeFunction.timeoutSeconds,
    batchSize: LakeStreamMapping.batchSize,
    retryAttempts: LakeStreamMapping.retryAttempts,
  });
  return {
    sqs,
    aggregateStream,
    lakeStream,
    running: () => sqs.running && aggregateStream.running && lakeStream.running,
    start: () => {
      sqs.start();
      aggregateStream.start();
      lakeStream.start();
    },
    stoppers: () => [() => sqs.stop(), () => aggregateStream.stop(), () => lakeStream.stop()],
  };
}
