/**
 * The lake writer: a second, independent consumer of the events table's stream (inserts only).
 * Throws on any failure so Lambda retries the batch; a retry of the same batch writes the same
 * object names, so it replaces what an earlier attempt wrote.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { configFromEnv, required, type TidemarkConfig } from '../config.js';
import { S3LakeObjects } from '../adapters/s3-lake-objects.js';
import { lambdaFunction } from '../middleware.js';
import { logger, metrics } from '../observability.js';
import { writeBatchToLake } from './lake.js';
import type { LakeObjects } from './ports.js';

export function createLakeHandler(dependencies: () => LakeObjects) {
  return lambdaFunction(async (event: DynamoDBStreamEvent): Promise<void> => {
    metrics.addMetric('LakeRecordsReceived', MetricUnit.Count, event.Records.length);
    const first = event.Records[0]?.dynamodb?.SequenceNumber;
    const last = event.Records.at(-1)?.dynamodb?.SequenceNumber;
    const inserts = event.Records.filter((record) => record.eventName === 'INSERT' && record.dynamodb?.NewImage);
    if (!first || !last || inserts.length === 0) return;
    const events = inserts.map((record) => ({
      sequenceNumber: record.dynamodb!.SequenceNumber!,
      item: unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>),
    }));
    const outcome = await writeBatchToLake({ firstSequenceNumber: first, lastSequenceNumber: last }, events, dependencies());
    logger.info('wrote stream batch to the lake', {
      records: event.Records.length,
      rows: outcome.rows,
      objects: outcome.objects.length,
      bytes: outcome.bytes,
    });
    // Kept in DynamoDB, out of the lake until fixed: `tidemark lake backfill` their days once they are.
    for (const { key, reason } of outcome.unplaceable) logger.error('stored event left out of the lake', { key, reason });
    metrics.addMetric('LakeEventsUnplaceable', MetricUnit.Count, outcome.unplaceable.length);
    metrics.addMetric('LakeRowsWritten', MetricUnit.Count, outcome.rows);
    metrics.addMetric('LakeBytesWritten', MetricUnit.Bytes, outcome.bytes);
  });
}

export function lakeDependencies(config: TidemarkConfig, client: S3Client = new S3Client({})): LakeObjects {
  return new S3LakeObjects(client, required(config, 'lakeBucket'));
}

let cached: LakeObjects | undefined;
export const handler = createLakeHandler(() => (cached ??= lakeDependencies(configFromEnv(process.env))));
