/** AWS clients, pointed at local engines when the config names an endpoint. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { TidemarkConfig } from '../config.js';

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export function createDocumentClient(config: TidemarkConfig): DynamoDBDocumentClient {
  const client = new DynamoDBClient(
    config.dynamodbEndpoint
      ? { endpoint: config.dynamodbEndpoint, region: 'us-east-1', credentials: localCredentials, maxAttempts: 6 }
      : { maxAttempts: 6 },
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
