/**
 * DynamoDB Streams consumer of the events table (inserts only). Throws on any failure so Lambda
 * retries the whole batch; `applyBatch` makes the retry count nothing twice.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { configFromEnv, required, type TidemarkConfig } from '../config.js';
import { createClients, type AwsClients } from '../adapters/clients.js';
import { DynamoAggregateStore } from '../adapters/aggregate-store.js';
import type { CountedEvent } from '../core/aggregation.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, metrics } from '../observability.js';
import { applyBatch, type CounterStore } from './aggregate.js';

export function countedEventOf(image: Record<string, unknown>, sequenceNumber: string): CountedEvent {
  const counted: CountedEvent = {
    sequenceNumber,
    projectId: String(image.projectId),
    eventId: String(image.eventId),
    event: String(image.event),
    deviceId: String(image.deviceId),
    timeMs: Number(image.ts),
    ...(typeof image.receivedAt === 'string' ? { receivedMs: Date.parse(image.receivedAt) } : {}),
    ...(typeof image.source === 'string' ? { source: image.source } : {}),
    ...(typeof image.value === 'number' ? { value: image.value } : {}),
  };
  return counted;
}

export function createAggregateHandler(dependencies: () => CounterStore) {
  return async (event: DynamoDBStreamEvent): Promise<void> => {
    const records = event.Records.filter((record) => record.eventName === 'INSERT' && record.dynamodb?.NewImage);
    const first = event.Records[0];
    if (!first || records.length === 0) return;
    const events = records.map((record) =>
      countedEventOf(
        unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>),
        record.dynamodb!.SequenceNumber!,
      ),
    );
    const checkpointId = `${first.eventSourceARN ?? 'stream'}#${first.eventID ?? first.dynamodb?.SequenceNumber}`;
    const outcome = await applyBatch(checkpointId, events, dependencies());
    logger.info('applied stream batch', { records: event.Records.length, ...outcome });
    metrics.addMetric('EventsCounted', MetricUnit.Count, outcome.applied);
    const received = events.flatMap((e) => (e.receivedMs === undefined ? [] : [e.receivedMs]));
    if (received.length > 0) {
      const now = Date.now();
      metrics.addMetric('Freshness', MetricUnit.Milliseconds, received.reduce((sum, t) => sum + (now - t), 0) / received.length);
    }
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
}

export function aggregateDependencies(config: TidemarkConfig, clients: AwsClients = createClients(config)): CounterStore {
  return new DynamoAggregateStore(clients.documents, required(config, 'aggregatesTable'));
}

let cached: CounterStore | undefined;
export const handler = createAggregateHandler(() => (cached ??= aggregateDependencies(configFromEnv(process.env))));
