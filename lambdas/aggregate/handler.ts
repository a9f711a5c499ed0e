/**
 * DynamoDB Streams consumer of the events table (inserts only). The mapping has a tumbling window so
 * that every invocation carries its shard id (the key of the shard's high-water mark); the window's
 * state is unused and returned empty, as Lambda requires a `state` in the response. A record that
 * is not a countable event is quarantined by `applyBatch`; anything else throws, and Lambda's retry
 * of whatever batch it redelivers counts nothing twice.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { configFromEnv, required, type TidemarkConfig } from '../config.js';
import { createClients, type AwsClients } from '../adapters/clients.js';
import { DynamoAggregateStore } from '../adapters/aggregate-store.js';
import type { CountedEvent } from '../core/aggregation.js';
import { toMicros } from '../core/micro-units.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { lambdaFunction } from '../middleware.js';
import { logger, metrics } from '../observability.js';
import { applyBatch, type StreamEntry } from './aggregate.js';
import type { CounterStore } from './ports.js';

/** A stream invocation with a tumbling window (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#services-ddb-windows). */
export type WindowedStreamEvent = DynamoDBStreamEvent & { readonly shardId?: string; readonly eventSourceARN?: string };

export class MissingShardError extends Error {
  constructor() {
    super('the stream invocation carries no shardId: the event source mapping needs a tumbling window (resources/pipeline.ts)');
    this.name = 'MissingShardError';
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** A stream image (read with number wrapping) as a counted event, or why it cannot be one. */
export function countedEventOf(image: Record<string, unknown>, sequenceNumber: string): CountedEvent | string {
  const projectId = text(image.projectId);
  const eventId = text(image.eventId);
  const event = text(image.event);
  const deviceId = text(image.deviceId);
  const timeMs = Number((image.ts as { value?: string } | undefined)?.value ?? image.ts);
  if (!projectId || !eventId || !event || !deviceId) return 'the image lacks projectId, eventId, event or deviceId';
  if (!Number.isFinite(timeMs)) return 'the image has no event time (ts)';
  let valueMicros: bigint | undefined;
  if (image.value !== undefined && image.value !== null) {
    valueMicros = toMicros(String((image.value as { value?: string }).value ?? image.value));
    if (valueMicros === undefined) return 'the image has a value that is not a number';
  }
  const receivedMs = typeof image.receivedAt === 'string' ? Date.parse(image.receivedAt) : Number.NaN;
  return {
    sequenceNumber,
    projectId,
    eventId,
    event,
    deviceId,
    timeMs,
    ...(Number.isFinite(receivedMs) ? { receivedMs } : {}),
    ...(typeof image.source === 'string' ? { source: image.source } : {}),
    ...(valueMicros === undefined ? {} : { valueMicros }),
  };
}

export function streamEntryOf(record: DynamoDBRecord): StreamEntry {
  const sequenceNumber = record.dynamodb!.SequenceNumber!;
  const raw = JSON.stringify(record);
  try {
    const counted = countedEventOf(
      unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>, { wrapNumbers: true }),
      sequenceNumber,
    );
    return typeof counted === 'string' ? { sequenceNumber, problem: counted, raw } : { sequenceNumber, event: counted, raw };
  } catch (error) {
    return { sequenceNumber, problem: `the image cannot be read: ${(error as Error).message}`, raw };
  }
}

export function createAggregateHandler(dependencies: () => CounterStore) {
  return lambdaFunction(async (event: WindowedStreamEvent): Promise<{ state: Record<string, never> }> => {
    metrics.addMetric('CounterRecordsReceived', MetricUnit.Count, event.Records.length);
    const records = event.Records.filter(
      (record) => record.eventName === 'INSERT' && record.dynamodb?.NewImage && record.dynamodb.SequenceNumber,
    );
    if (records.length === 0) return { state: {} };
    if (!event.shardId) throw new MissingShardError();
    const shard = { streamArn: event.eventSourceARN ?? records[0]!.eventSourceARN ?? 'stream', shardId: event.shardId };
    const entries = records.map(streamEntryOf);
    const outcome = await applyBatch(shard, entries, dependencies());
    logger.info('applied stream batch', { records: event.Records.length, shardId: shard.shardId, ...outcome });
    metrics.addMetric('EventsCounted', MetricUnit.Count, outcome.applied);
    metrics.addMetric('RecordsQuarantined', MetricUnit.Count, outcome.quarantined);
    if (outcome.quarantined > 0) logger.error('quarantined stream records', { shardId: shard.shardId, quarantined: outcome.quarantined });
    const received = entries.flatMap((entry) => ('event' in entry && entry.event.receivedMs !== undefined ? [entry.event.receivedMs] : []));
    if (received.length > 0) {
      const now = Date.now();
      metrics.addMetric('Freshness', MetricUnit.Milliseconds, received.reduce((sum, t) => sum + (now - t), 0) / received.length);
    }
    return { state: {} };
  });
}

export function aggregateDependencies(config: TidemarkConfig, clients: AwsClients = createClients(config)): CounterStore {
  return new DynamoAggregateStore(clients.documents, required(config, 'aggregatesTable'));
}

let cached: CounterStore | undefined;
export const handler = createAggregateHandler(() => (cached ??= aggregateDependencies(configFromEnv(process.env))));
