/**
 * Every cdk-nag AwsSolutions finding this stack acknowledges, each scoped to the resources it
 * concerns and with the reason it is acceptable. Anything not listed here fails synthesis.
 */
import { Validations, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { TidemarkStack } from './tidemark-stack.js';

const acknowledge = (scope: IConstruct, id: string, reason: string) =>
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${id}`, reason });

export function addNagSuppressions(stack: Stack & Pick<TidemarkStack, 'ingestApi' | 'pipeline' | 'aggregates'>): void {
  const functions = [
    stack.ingestApi.ingestFunction,
    stack.ingestApi.queryFunction,
    stack.pipeline.processFunction,
    stack.aggregates.aggregateFunction,
  ];
  for (const fn of functions) {
    acknowledge(
      fn,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'The basic execution role only lets the function write its own CloudWatch logs.',
    );
    acknowledge(
      fn,
      'IAM5[Resource::*]',
      'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    );
    acknowledge(fn, 'L1', 'Tidemark pins Node.js 22 (DESIGN.md section 1), the runtime its bundles and tests target.');
  }
  const api = stack.ingestApi.api;
  acknowledge(
    api,
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    'API Gateway needs this account-level role to write execution logs; it grants logs access only.',
  );
  acknowledge(
    api,
    'APIG4',
    'Every route authenticates a project key (write or secret, stored hashed) inside its function, the same check on AWS and locally; /health is public on purpose.',
  );
  acknowledge(api, 'COG4', 'Clients are SDKs holding project keys, not Cognito users; keys are checked by the functions.');
  acknowledge(
    api,
    'APIG2',
    'Bodies are validated per row by the ingest function, which must accept valid rows beside invalid ones; a gateway validator would reject whole batches.',
  );
  acknowledge(api, 'APIG3', 'WAF is left to the deploying team (it has a per-request cost); stage throttling and per-project rate limits are on.');
  acknowledge(
    stack.aggregates.failedBatches,
    'SQS3',
    'This queue is itself the on-failure destination of the stream mapping; it keeps failed batch pointers 14 days.',
  );
}
