/**
 * Counting: the aggregates table and the function that consumes the events table's stream
 * (inserts only), applying counters exactly once. Batches that exhaust their retries go to an
 * on-failure queue, so nothing is dropped silently.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AggregateFunction, AggregatesTable, EnvNames, EventsStreamMapping } from '../../resources/index.js';
import { TidemarkFunction } from './function.js';
import { grantTable } from './grants.js';
import { tableFromDefinition } from './table.js';

export type AggregatesProps = {
  readonly eventsTable: dynamodb.ITable;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
};

export class Aggregates extends Construct {
  readonly table: dynamodb.Table;
  readonly aggregateFunction: TidemarkFunction;
  readonly failedBatches: sqs.Queue;

  constructor(scope: Construct, id: string, props: AggregatesProps) {
    super(scope, id);
    this.table = tableFromDefinition(this, AggregatesTable, props.removalPolicy);
    this.aggregateFunction = new TidemarkFunction(this, 'Aggregate', {
      name: 'aggregate',
      timeoutSeconds: AggregateFunction.timeoutSeconds,
      memoryMb: AggregateFunction.memoryMb,
      logRetention: props.logRetention,
      environment: { [EnvNames.aggregatesTable]: this.table.tableName },
    });
    const fn = this.aggregateFunction.function;
    grantTable(fn, this.table, ['GetItem', 'PutItem', 'UpdateItem']);

    this.failedBatches = new sqs.Queue(this, 'FailedStreamBatches', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    fn.addEventSource(
      new DynamoEventSource(props.eventsTable, {
        startingPosition: lambda.StartingPosition[EventsStreamMapping.startingPosition],
        batchSize: EventsStreamMapping.batchSize,
        maxBatchingWindow: Duration.seconds(EventsStreamMapping.maxBatchingWindowSeconds),
        bisectBatchOnError: EventsStreamMapping.bisectBatchOnError,
        retryAttempts: EventsStreamMapping.retryAttempts,
        tumblingWindow: Duration.seconds(EventsStreamMapping.tumblingWindowSeconds),
        onFailure: new SqsDlq(this.failedBatches),
        filters: [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.or(...EventsStreamMapping.eventNames) })],
      }),
    );
  }
}
