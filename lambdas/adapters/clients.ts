/** AWS clients, pointed at local engines when the config names an endpoint. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { TidemarkConfig } from '../config.js';

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Standard retry mode (the SDKs' default, AWS SDKs and Tools reference guide, "Retry behavior":
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html) with more attempts than
 * its default 3. Not adaptive mode: its client-side rate limiter assumes one client talks to one
 * resource, and throttling of one table slows every request of the client (the AWS SDK's own warning
 * on RetryMode.ADAPTIVE); the processor's client writes two tables, and under steady throttling the
 * limiter fell towards its floor (0.5 requests/s) until invocations timed out with messages in flight.
 * What still fails is retried by the caller while time remains (core/back-pressure.ts).
 */
const dynamoRetries = { maxAttempts: 6, retryMode: 'standard' } as const;

export function createDocumentClient(config: TidemarkConfig): DynamoDBDocumentClient {
  const client = new DynamoDBClient(
    config.dynamodbEndpoint
      ? { endpoint: config.dynamodbEndpoint, region: 'us-east-1', credentials: localCredentials, ...dynamoRetries }
      : dynamoRetries,
  );
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createSqsClient(config: TidemarkConfig): SQSClient {
  return new SQSClient(
    config.sqsEndpoint ? { endpoint: config.sqsEndpoint, region: 'us-east-1', credentials: localCredentials } : {},
  );
}

export type AwsClients = { readonly documents: DynamoDBDocumentClient; readonly sqs: SQSClient };

/** The clients a function uses; the local runtime passes its own, instrumented ones. */
export const createClients = (config: TidemarkConfig): AwsClients => ({
  documents: createDocumentClient(config),
  sqs: createSqsClient(config),
});
