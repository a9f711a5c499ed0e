/**
 * A function subscribed to a DynamoDB table's stream as a mapping in `resources/` says, with an
 * on-failure queue: a batch that exhausts its retries is recorded there, never dropped silently.
 * Shared by the counting function and the lake writer.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { FailedStreamBatches } from '../../resources/index.js';

export type StreamMapping = {
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly retryAttempts: number;
  readonly bisectBatchOnError: boolean;
  readonly startingPosition: keyof typeof lambda.StartingPosition;
  readonly eventNames: readonly string[];
  readonly tumblingWindowSeconds?: number;
};

/** Subscribes `fn` to `table`'s stream; returns the queue that receives the batches that failed for good. */
export function subscribeToStream(scope: Construct, fn: lambda.IFunction, table: dynamodb.ITable, mapping: StreamMapping): sqs.Queue {
  const failedBatches = new sqs.Queue(scope, 'FailedStreamBatches', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(FailedStreamBatches.retentionDays),
  });
  fn.addEventSource(
    new DynamoEventSource(table, {
      startingPosition: lambda.StartingPosition[mapping.startingPosition],
      batchSize: mapping.batchSize,
      maxBatchingWindow: Duration.seconds(mapping.maxBatchingWindowSeconds),
      bisectBatchOnError: mapping.bisectBatchOnError,
      retryAttempts: mapping.retryAttempts,
      ...(mapping.tumblingWindowSeconds === undefined ? {} : { tumblingWindow: Duration.seconds(mapping.tumblingWindowSeconds) }),
      onFailure: new SqsDlq(failedBatches),
      filters: [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.or(...mapping.eventNames) })],
    }),
  );
  return failedBatches;
}
