/**
 * Every cdk-nag AwsSolutions finding this stack acknowledges, each scoped to the resources it
 * concerns and with the reason it is acceptable. Anything not listed here fails synthesis.
 */
import { Validations, type Stack } from 'aws-cdk-lib';
import type { ConsoleSite } from './constructs/console-site.js';
import type { EventLake } from './constructs/event-lake.js';
import type { IConstruct } from 'constructs';
import type { TidemarkStack } from './tidemark-stack.js';

const acknowledge = (scope: IConstruct, id: string, reason: string) =>
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${id}`, reason });

export function addNagSuppressions(
  stack: Stack & Pick<TidemarkStack, 'ingestApi' | 'pipeline' | 'aggregates' | 'lake' | 'consoleSite'>,
): void {
  if (stack.consoleSite) acknowledgeConsoleSite(stack, stack.consoleSite);
  const functions = [
    stack.ingestApi.ingestFunction,
    stack.ingestApi.queryFunction,
    stack.pipeline.processFunction,
    stack.aggregates.aggregateFunction,
    stack.lake.lakeFunction,
    stack.lake.compactionFunction,
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
  acknowledge(
    stack.ingestApi.cursorSecret,
    'SMG4',
    'The cursor signing key only authenticates pagination cursors; rotating it would just invalidate open cursors, and a new deploy can replace it.',
  );
  acknowledge(api, 'COG4', 'Clients are SDKs holding project keys, not Cognito users; keys are checked by the functions.');
  acknowledge(
    api,
    'APIG2',
    'Bodies are validated per row by the ingest function, which must accept valid rows beside invalid ones; a gateway validator would reject whole batches.',
  );
  acknowledge(
    api,
    'APIG3',
    'WAF is left to the deploying team (it has a per-request cost); stage throttling and per-project rate limits are on.',
  );
  acknowledge(
    stack.aggregates.failedBatches,
    'SQS3',
    'This queue is itself the on-failure destination of the stream mapping; it keeps failed batch pointers 14 days.',
  );
  acknowledgeLake(stack, stack.lake);
  const rejections = `IAM5[Resource::<${stack.getLogicalId(stack.lake.bucket.node.defaultChild as never)}.Arn>/rejections/*]`;
  acknowledge(
    stack.ingestApi.ingestFunction,
    rejections,
    'Rejected rows are kept one object per request (rejections/project=P/dt=D/request-ID.parquet); ingest may only put under rejections/.',
  );
}

function acknowledgeLake(stack: Stack, lake: EventLake): void {
  acknowledge(
    lake.failedBatches,
    'SQS3',
    "This queue is itself the on-failure destination of the lake writer's stream mapping; it keeps failed batch pointers 14 days.",
  );
  acknowledge(
    lake.bucket,
    'S1',
    'Server access logs would add a log object per request to a bucket written by one function; CloudTrail S3 data events can be enabled by the deploying team for audit.',
  );
  const bucket = stack.getLogicalId(lake.bucket.node.defaultChild as never);
  const perObject = 'Objects are named per stream batch (events/project=P/dt=D/batch-…parquet), so a grant can only name the prefix.';
  acknowledge(lake.lakeFunction, `IAM5[Resource::<${bucket}.Arn>/events/*]`, `${perObject} The writer may only put under events/.`);
  acknowledge(
    lake.compactionFunction,
    `IAM5[Resource::<${bucket}.Arn>/events/*]`,
    `${perObject} Compaction reads a day's files, writes its one file and deletes what it read, under events/ only.`,
  );
  acknowledge(
    lake.queryPolicy,
    `IAM5[Resource::<${bucket}.Arn>/events/*]`,
    `${perObject} Operators read them, and compaction rewrites a day into one file.`,
  );
  acknowledge(
    lake.queryPolicy,
    `IAM5[Resource::<${bucket}.Arn>/rejections/*]`,
    'Rejected rows are one object per request; operators read them to replay them.',
  );
  acknowledge(
    lake.queryPolicy,
    `IAM5[Resource::<${bucket}.Arn>/athena-results/*]`,
    'Athena names each query result object by its query id; the workgroup writes them under this prefix only.',
  );
}

function acknowledgeConsoleSite(stack: Stack, site: ConsoleSite): void {
  acknowledge(site.bucket, 'S1', 'The bucket holds only the console build, readable solely by this distribution (origin access control).');
  const distribution = site.distribution;
  acknowledge(distribution, 'CFR1', 'The console is for the deploying team wherever it works; the API behind it checks keys.');
  acknowledge(distribution, 'CFR2', 'WAF is left to the deploying team, as for the API (it has a per-request cost).');
  acknowledge(distribution, 'CFR3', 'Static files only; API calls through it are logged by the API stage access logs (without IPs).');
  acknowledge(
    distribution,
    'CFR4',
    'No custom domain: the default *.cloudfront.net certificate fixes the TLS policy. Add a domain and certificate to require TLS 1.2.',
  );
  // BucketDeployment's function is a singleton the CDK creates at stack level and manages itself.
  const deployer = stack.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (!deployer) throw new Error('the console deployment function was not found: its acknowledgements would apply to nothing');
  acknowledge(
    deployer,
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'It only writes its own logs.',
  );
  acknowledge(deployer, 'L1', 'The CDK chooses and updates the runtime of its BucketDeployment function.');
  const copies =
    'The CDK-managed deployment function copies the build from the CDK asset bucket into the console bucket and replaces what was there.';
  for (const finding of [
    'Action::s3:Abort*',
    'Action::s3:DeleteObject*',
    'Action::s3:GetBucket*',
    'Action::s3:GetObject*',
    'Action::s3:List*',
  ]) {
    acknowledge(deployer, `IAM5[${finding}]`, copies);
  }
  acknowledge(deployer, `IAM5[Resource::<${stack.getLogicalId(site.bucket.node.defaultChild as never)}.Arn>/*]`, copies);
  acknowledge(deployer, 'IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]', copies);
  acknowledge(
    deployer,
    'IAM5[Resource::*]',
    'cloudfront:CreateInvalidation and GetInvalidation, granted by the CDK to invalidate the console after a deploy.',
  );
}
