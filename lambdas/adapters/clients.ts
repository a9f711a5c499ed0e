/** AWS clients, pointed at local engines when the config names an endpoint. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { Retries } from '../../resources/index.js';
import type { TidemarkConfig } from '../config.js';

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Standard retry mode (the SDKs' default, AWS SDKs and Tools reference guide, "Retry behavior":
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html), with its backoff capped.
 * Not adaptive mode: its client-side rate limiter assumes one client talks to one resource, and
 * throttling of one table slows every request of the client (the AWS SDK's own warning on
 * RetryMode.ADAPTIVE); the processor's client writes two tables, and under steady throttling the
 * limiter fell towards its floor (0.5 requests/s) until invocations timed out with messages in flight.
 * The cap: the SDK's standard backoff after a throttle doubles from 1 s (up to 1 + 2 + 4 + 8 + 16 s
 * over 6 attempts), so one unlucky request could outlast the invocation, which then timed out with
 * every message in it. Capped at `Retries.dynamoMaxBackoffMs` per retry, with full jitter, a request
 * gives up within a few seconds and the caller retries while time remains (core/back-pressure.ts),
 * checking the invocation's remaining time before each attempt.
 */
const dynamoRetryStrategy = () =>
  new ConfiguredRetryStrategy(Retries.dynamoAttempts, (attempt) => Math.random() * Math.min(Retries.dynamoMaxBackoffMs, 50 * 2 ** attempt));

/**
 * No request waits forever on a socket that never answers: the SDK's default request timeout is none
 * (NodeHttpHandlerOptions.requestTimeout "Defaults to 0, which disables the timeout"), and it only
 * warns unless told to throw. A timed-out attempt is retried like any transient error.
 */
const dynamoRequestHandler = { requestTimeout: Retries.dynamoRequestTimeoutMs, throwOnRequestTimeout: true } as const;

export function createDocumentClient(config: TidemarkConfig): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint, region: 'us-east-1', credentials: localCredentials } : {}),
    retryStrategy: dynamoRetryStrategy(),
    requestHandler: dynamoRequestHandler,
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createSqsClient(config: TidemarkConfig): SQSClient {
  return new SQSClient(config.sqsEndpoint ? { endpoint: config.sqsEndpoint, region: 'us-east-1', credentials: localCredentials } : {});
}

export type AwsClients = { readonly documents: DynamoDBDocumentClient; readonly sqs: SQSClient };

/** The clients a function uses; the local runtime passes its own, instrumented ones. */
export const createClients = (config: TidemarkConfig): AwsClients => ({
  documents: createDocumentClient(config),
  sqs: createSqsClient(config),
});
