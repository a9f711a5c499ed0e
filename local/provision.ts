/**
 * Creates the local tables and queues from the same definitions the CDK constructs read
 * (`resources/`). Idempotent: tables kept under the data directory are reused across restarts.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DeadLetterQueue, EventsQueue, type TableDefinition } from '../resources/index.js';

export const localTableName = (table: TableDefinition) => `tidemark-${table.id}`;

export async function createTable(client: DynamoDBClient, table: TableDefinition): Promise<{ name: string; streamArn?: string }> {
  const name = localTableName(table);
  const keys = [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])];
  const indexKeys = table.globalIndexes.flatMap((index) => [index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])]);
  const attributes = new Map([...keys, ...indexKeys].map((key) => [key.name, key.type]));
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
        KeySchema: [
          { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
          ...(table.sortKey ? [{ AttributeName: table.sortKey.name, KeyType: 'RANGE' as const }] : []),
        ],
        ...(table.globalIndexes.length > 0
          ? {
              GlobalSecondaryIndexes: table.globalIndexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: [
                  { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
                  ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' as const }] : []),
                ],
                Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.nonKeyAttributes] },
              })),
            }
          : {}),
        ...(table.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: table.stream } } : {}),
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
  return Table?.LatestStreamArn ? { name, streamArn: Table.LatestStreamArn } : { name };
}

export type LocalQueues = { queueUrl: string; queueArn: string; dlqUrl: string; dlqArn: string };

export async function createQueues(client: SQSClient): Promise<LocalQueues> {
  const dlq = await createFifoQueue(client, `tidemark-${DeadLetterQueue.id}.fifo`, {
    MessageRetentionPeriod: String(DeadLetterQueue.retentionSeconds),
  });
  const queue = await createFifoQueue(client, `tidemark-${EventsQueue.id}.fifo`, {
    VisibilityTimeout: String(EventsQueue.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(EventsQueue.retentionSeconds),
    DeduplicationScope: EventsQueue.deduplicationScope,
    FifoThroughputLimit: EventsQueue.fifoThroughputLimit,
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: EventsQueue.maxReceiveCount }),
  });
  return { queueUrl: queue.url, queueArn: queue.arn, dlqUrl: dlq.url, dlqArn: dlq.arn };
}

async function createFifoQueue(client: SQSClient, name: string, attributes: Record<string, string>) {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: 'true', ...attributes } }));
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}
