/**
 * The write path behind the API: the FIFO queue (one message group per device) with its FIFO
 * DLQ, the process function that consumes it, and the tables it writes, events and state.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeadLetterQueue, EnvNames, EventsQueue, EventsTable, ProcessFunction, StateTable } from '../../resources/index.js';
import { TidemarkFunction } from './function.js';
import { grantTable } from './grants.js';
import { tableFromDefinition } from './table.js';

/** The SQS attribute values `resources/` uses, as CDK's enums. */
const DeduplicationScopes = { messageGroup: sqs.DeduplicationScope.MESSAGE_GROUP, queue: sqs.DeduplicationScope.QUEUE } as const;
const FifoThroughputLimits = {
  perMessageGroupId: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
  perQueue: sqs.FifoThroughputLimit.PER_QUEUE,
} as const;

export type EventPipelineProps = {
  /** Days a stored event is kept before its TTL expires. */
  readonly eventRetentionDays: number;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
};

export class EventPipeline extends Construct {
  readonly eventsTable: dynamodb.Table;
  readonly stateTable: dynamodb.Table;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly processFunction: TidemarkFunction;

  constructor(scope: Construct, id: string, props: EventPipelineProps) {
    super(scope, id);
    this.eventsTable = tableFromDefinition(this, EventsTable, props.removalPolicy);
    this.stateTable = tableFromDefinition(this, StateTable, props.removalPolicy);

    this.deadLetterQueue = new sqs.Queue(this, DeadLetterQueue.id, {
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(DeadLetterQueue.retentionSeconds),
    });
    this.queue = new sqs.Queue(this, EventsQueue.id, {
      fifo: true,
      deduplicationScope: DeduplicationScopes[EventsQueue.deduplicationScope],
      fifoThroughputLimit: FifoThroughputLimits[EventsQueue.fifoThroughputLimit],
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(EventsQueue.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(EventsQueue.retentionSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: EventsQueue.maxReceiveCount },
    });

    this.processFunction = new TidemarkFunction(this, 'Process', {
      name: 'process',
      timeoutSeconds: ProcessFunction.timeoutSeconds,
      memoryMb: ProcessFunction.memoryMb,
      logRetention: props.logRetention,
      environment: {
        [EnvNames.eventsTable]: this.eventsTable.tableName,
        [EnvNames.stateTable]: this.stateTable.tableName,
        [EnvNames.eventRetentionDays]: String(props.eventRetentionDays),
      },
    });
    const fn = this.processFunction.function;
    grantTable(fn, this.eventsTable, ['PutItem', 'BatchGetItem']);
    // BatchWriteItem: conflicts (an id already stored with other content) are kept as rejections.
    grantTable(fn, this.stateTable, ['PutItem', 'UpdateItem', 'BatchWriteItem']);
    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: EventsQueue.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: EventsQueue.maxConcurrency,
      }),
    );
  }
}
