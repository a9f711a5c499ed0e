/**
 * Counting: the aggregates table and the function that consumes the events table's stream
 * (inserts only), applying counters exactly once. Batches that exhaust their retries go to an
 * on-failure queue, so nothing is dropped silently.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AggregateFunction, AggregatesTable, EnvNames, EventsStreamMapping } from '../../resources/index.js';
import { TidemarkFunction } from './function.js';
import { subscribeToStream } from './stream-subscription.js';
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

    this.failedBatches = subscribeToStream(this, fn, props.eventsTable, EventsStreamMapping);
  }
}
