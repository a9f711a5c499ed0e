/**
 * The Tidemark stack: the ingest API, the event pipeline, the aggregates and operations, wired
 * together. Every prop has a default that suits a first deployment.
 */
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AggregatesTable, Cors, EventsTable, KeysTable, Limits, StackOutputs, StateTable } from '../resources/index.js';
import { Aggregates } from './constructs/aggregates.js';
import { ConsoleSite } from './constructs/console-site.js';
import { EventLake } from './constructs/event-lake.js';
import { EventPipeline } from './constructs/event-pipeline.js';
import { IngestApi } from './constructs/ingest-api.js';
import { Operations } from './constructs/operations.js';
import { addNagSuppressions } from './nag-suppressions.js';
import { useProvisionedCapacity } from './constructs/provisioned-capacity.js';

export type TidemarkStackProps = StackProps & {
  /** API Gateway stage. @default 'v1' */
  readonly stageName?: string;
  /** Rows older than this are rejected on /v1/batch and /v1/track. @default 5 */
  readonly maxEventAgeDays?: number;
  /** Days a stored event stays in DynamoDB (the hot tier; the lake keeps every event). @default 35 */
  readonly eventRetentionDays?: number;
  /** Ingest requests per second per project; 0 turns it off. @default 100 */
  readonly projectRateLimitPerSecond?: number;
  /** API stage throttling, requests per second and burst. @default 1000 and 2000 */
  readonly throttlingRateLimit?: number;
  readonly throttlingBurstLimit?: number;
  /** CloudWatch Logs retention of functions and access logs. @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Where alarms are e-mailed; none when unset. */
  readonly alarmEmail?: string;
  /** RETAIN keeps tables when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /**
   * Deploys the console (S3 + CloudFront, `/v1/*` routed to the API) from this directory, the
   * output of `npm run build:console`; no console when unset.
   */
  readonly consoleDistDir?: string;
  /**
   * Origins allowed to call the public write routes (every ingest route but /v1/import) from a
   * browser. Write keys are public, so any origin by default. @default ['*']
   */
  readonly corsAllowOrigins?: readonly string[];
  /**
   * Create the account-and-region API Gateway CloudWatch Logs role, for accounts that have none
   * yet (stage logging needs it). It is retained when the stack is deleted. @default false
   */
  readonly createApiGatewayCloudWatchRole?: boolean;
  /**
   * DynamoDB capacity: on-demand, or provisioned under auto scaling at `ProvisionedCapacity`'s
   * target utilisation (cheaper for steady traffic; see docs/performance.md). @default 'on-demand'
   */
  readonly billing?: 'on-demand' | 'provisioned';
};

export class TidemarkStack extends Stack {
  readonly ingestApi: IngestApi;
  readonly pipeline: EventPipeline;
  readonly aggregates: Aggregates;
  readonly lake: EventLake;
  readonly operations: Operations;
  readonly consoleSite?: ConsoleSite;

  constructor(scope: Construct, id: string, props: TidemarkStackProps = {}) {
    super(scope, id, props);
    const maxEventAgeDays = props.maxEventAgeDays ?? Limits.maxEventAgeDays;
    const eventRetentionDays = props.eventRetentionDays ?? Limits.eventRetentionDays;
    if (maxEventAgeDays <= 0 || eventRetentionDays <= 0) throw new Error('maxEventAgeDays and eventRetentionDays must be positive');
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const removalPolicy = props.dataRemovalPolicy ?? RemovalPolicy.RETAIN;

    this.pipeline = new EventPipeline(this, 'Pipeline', { eventRetentionDays, logRetention, removalPolicy });
    this.aggregates = new Aggregates(this, 'Aggregates', { eventsTable: this.pipeline.eventsTable, logRetention, removalPolicy });
    this.lake = new EventLake(this, 'Lake', { eventsTable: this.pipeline.eventsTable, logRetention, removalPolicy });
    this.ingestApi = new IngestApi(this, 'IngestApi', {
      stageName: props.stageName ?? 'v1',
      queue: this.pipeline.queue,
      eventsTable: this.pipeline.eventsTable,
      stateTable: this.pipeline.stateTable,
      aggregatesTable: this.aggregates.table,
      maxEventAgeDays,
      eventRetentionDays,
      projectRateLimitPerSecond: props.projectRateLimitPerSecond ?? Limits.projectRateLimitPerSecond,
      throttlingRateLimit: props.throttlingRateLimit ?? 1000,
      throttlingBurstLimit: props.throttlingBurstLimit ?? 2000,
      logRetention,
      removalPolicy,
      corsAllowOrigins: props.corsAllowOrigins ?? Cors.defaultAllowOrigins,
      createApiGatewayCloudWatchRole: props.createApiGatewayCloudWatchRole ?? false,
    });
    this.lake.grantKeepRejections(this.ingestApi.ingestFunction.function);
    this.operations = new Operations(this, 'Operations', {
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
      api: this.ingestApi.api,
      queue: this.pipeline.queue,
      deadLetterQueue: this.pipeline.deadLetterQueue,
      failedStreamBatches: { Aggregate: this.aggregates.failedBatches, Lake: this.lake.failedBatches },
      aggregateFunction: this.aggregates.aggregateFunction.function,
      functions: {
        Ingest: this.ingestApi.ingestFunction.function,
        Process: this.pipeline.processFunction.function,
        Aggregate: this.aggregates.aggregateFunction.function,
        Query: this.ingestApi.queryFunction.function,
        Lake: this.lake.lakeFunction.function,
        LakeCompaction: this.lake.compactionFunction.function,
      },
      tables: {
        Events: this.pipeline.eventsTable,
        State: this.pipeline.stateTable,
        Aggregates: this.aggregates.table,
        Keys: this.ingestApi.keysTable,
      },
    });

    new CfnOutput(this, StackOutputs.apiUrl, { value: this.ingestApi.api.url, description: 'Base URL of the Tidemark API' });
    new CfnOutput(this, StackOutputs.dashboardUrl, {
      value: this.operations.dashboardUrl,
      description: 'CloudWatch dashboard of the pipeline',
    });
    new CfnOutput(this, StackOutputs.alarmTopicArn, { value: this.operations.alarmTopic.topicArn });
    new CfnOutput(this, StackOutputs.keysTableName, { value: this.ingestApi.keysTable.tableName });
    new CfnOutput(this, StackOutputs.deadLetterQueueUrl, { value: this.pipeline.deadLetterQueue.queueUrl });
    new CfnOutput(this, StackOutputs.eventsQueueUrl, { value: this.pipeline.queue.queueUrl });
    // Read by `tidemark reconcile`, which recounts stored events into counters.
    new CfnOutput(this, StackOutputs.eventsTableName, { value: this.pipeline.eventsTable.tableName });
    new CfnOutput(this, StackOutputs.aggregatesTableName, { value: this.aggregates.table.tableName });
    new CfnOutput(this, StackOutputs.lakeBucketName, {
      value: this.lake.bucket.bucketName,
      description: 'Every event as Parquet: events/project=P/dt=D/',
    });
    new CfnOutput(this, StackOutputs.lakeWorkgroupName, {
      value: this.lake.workgroup.name,
      description: 'Athena workgroup of tidemark sql --stack',
    });
    new CfnOutput(this, StackOutputs.lakeQueryPolicyArn, {
      value: this.lake.queryPolicy.managedPolicyArn,
      description: 'Attach to an operator role to run tidemark sql',
    });
    if (props.consoleDistDir) {
      this.consoleSite = new ConsoleSite(this, 'Console', { api: this.ingestApi.api, distDir: props.consoleDistDir });
      new CfnOutput(this, StackOutputs.consoleUrl, {
        value: this.consoleSite.url,
        description: 'The Tidemark console (enter a secret key in Settings)',
      });
    }
    if (props.billing === 'provisioned') {
      useProvisionedCapacity(this.pipeline.eventsTable, EventsTable);
      useProvisionedCapacity(this.pipeline.stateTable, StateTable);
      useProvisionedCapacity(this.aggregates.table, AggregatesTable);
      useProvisionedCapacity(this.ingestApi.keysTable, KeysTable);
    }
    addNagSuppressions(this);
  }
}
