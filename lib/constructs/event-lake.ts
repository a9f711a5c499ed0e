/**
 * The event lake: a private, encrypted, TLS-only bucket holding every stored event as Parquet
 * (`events/project=P/dt=D/`), the writer function fed by the events table's stream (its own
 * mapping, beside the aggregator's), a Glue table over the files with partition projection (no
 * crawler, no partition to add: Athena computes partitions from the path template), and an Athena
 * workgroup with encrypted results and a per-query scan limit. A daily schedule compacts each closed
 * project-day into one file.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  EnvNames,
  LakeBucket,
  LakeCatalog,
  LakeCompaction,
  LakeEventColumns,
  LakeFunction,
  LakeRejectionColumns,
  type LakeColumn,
  LakeLayout,
  LakePartitions,
  LakeStreamMapping,
  LakeWorkgroup,
} from '../../resources/index.js';
import { TidemarkFunction } from './function.js';
import { subscribeToStream } from './stream-subscription.js';

export type EventLakeProps = {
  readonly eventsTable: dynamodb.ITable;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
};

/** Athena writes query results under this prefix of the lake bucket; they expire on their own. */
const RESULTS_PREFIX = 'athena-results/';

const glueType = {
  string: glue.Schema.STRING,
  double: glue.Schema.DOUBLE,
  int: glue.Schema.INTEGER,
  boolean: glue.Schema.BOOLEAN,
  timestamp: glue.Schema.TIMESTAMP,
} as const;

export class EventLake extends Construct {
  readonly bucket: s3.Bucket;
  readonly lakeFunction: TidemarkFunction;
  readonly failedBatches: sqs.Queue;
  /** Folds each closed project-day's batch files into one, daily (`LakeCompaction`). */
  readonly compactionFunction: TidemarkFunction;
  readonly compactionSchedule: events.Rule;
  readonly database: glue.Database;
  readonly eventsTable: glue.S3Table;
  readonly rejectionsTable: glue.S3Table;
  readonly workgroup: athena.CfnWorkGroup;
  /** What an operator's role needs for `tidemark sql` and `tidemark lake compact`: attach it to that role. */
  readonly queryPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: EventLakeProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, LakeBucket.id, {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: false,
      lifecycleRules: [
        {
          id: 'events-to-cheaper-tiers',
          prefix: `${LakeLayout.eventsPrefix}/`,
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(LakeBucket.infrequentAccessAfterDays) },
            { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(LakeBucket.glacierInstantAfterDays) },
          ],
        },
        { id: 'query-results-expire', prefix: RESULTS_PREFIX, expiration: Duration.days(LakeWorkgroup.resultsRetentionDays) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    this.lakeFunction = new TidemarkFunction(this, 'Writer', {
      name: 'lake',
      timeoutSeconds: LakeFunction.timeoutSeconds,
      memoryMb: LakeFunction.memoryMb,
      logRetention: props.logRetention,
      environment: { [EnvNames.lakeBucket]: this.bucket.bucketName },
    });
    const fn = this.lakeFunction.function;
    // Exactly what the writer does: whole-object PUTs under `events/`, nothing else.
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${LakeLayout.eventsPrefix}/*`)] }),
    );
    this.failedBatches = subscribeToStream(this, fn, props.eventsTable, LakeStreamMapping);

    this.compactionFunction = new TidemarkFunction(this, 'Compaction', {
      name: 'lake',
      handlerFile: 'compaction-handler.ts',
      timeoutSeconds: LakeCompaction.timeoutSeconds,
      memoryMb: LakeCompaction.memoryMb,
      logRetention: props.logRetention,
      environment: { [EnvNames.lakeBucket]: this.bucket.bucketName },
    });
    const compaction = this.compactionFunction.function;
    // Lists the events prefix, reads the batch files, writes a day's one file and deletes what it read.
    compaction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${LakeLayout.eventsPrefix}/*`] } },
      }),
    );
    compaction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [this.bucket.arnForObjects(`${LakeLayout.eventsPrefix}/*`)],
      }),
    );
    this.compactionSchedule = new events.Rule(this, 'CompactionSchedule', {
      description: 'Daily: fold each closed project-day of the event lake into one Parquet file.',
      schedule: events.Schedule.cron({ hour: String(LakeCompaction.hourUtc), minute: String(LakeCompaction.minuteUtc) }),
      targets: [new targets.LambdaFunction(compaction)],
    });
    compaction.configureAsyncInvoke({ retryAttempts: LakeCompaction.retryAttempts });

    this.database = new glue.Database(this, 'Database', { databaseName: LakeCatalog.databaseName });
    this.eventsTable = this.#partitionedTable('EventsTable', {
      tableName: LakeCatalog.eventsTableName,
      description: 'Every stored event, one row per stream delivery; query the deduplicated `events` view through `tidemark sql`.',
      prefix: LakeLayout.eventsPrefix,
      columns: LakeEventColumns,
    });
    this.rejectionsTable = this.#partitionedTable('RejectionsTable', {
      tableName: LakeCatalog.rejectionsTableName,
      description: 'Rejected rows kept whole, by receive day; `tidemark rejections replay` sends them through /v1/import.',
      prefix: LakeLayout.rejectionsPrefix,
      columns: LakeRejectionColumns,
    });

    this.workgroup = new athena.CfnWorkGroup(this, 'Workgroup', {
      name: `${Stack.of(this).stackName}-lake`,
      description: 'Tidemark event lake queries (tidemark sql --stack)',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: LakeWorkgroup.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.bucket.bucketName}/${RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    if (props.removalPolicy === RemovalPolicy.RETAIN) this.workgroup.applyRemovalPolicy(RemovalPolicy.RETAIN);

    // SQL is for operators with AWS credentials, never for project keys: a policy to attach to their role.
    const stack = Stack.of(this);
    const objects = (prefix: string) => this.bucket.arnForObjects(`${prefix}*`);
    this.queryPolicy = new iam.ManagedPolicy(this, 'QueryPolicy', {
      description: 'Run tidemark sql (Athena in the lake workgroup) and tidemark lake compact on the Tidemark event lake.',
      statements: [
        new iam.PolicyStatement({
          actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
          resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workgroup.name })],
        }),
        new iam.PolicyStatement({
          actions: ['glue:GetDatabase', 'glue:GetTable'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            this.database.databaseArn,
            this.eventsTable.tableArn,
            this.rejectionsTable.tableArn,
          ],
        }),
        new iam.PolicyStatement({ actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [this.bucket.bucketArn] }),
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [objects(`${LakeLayout.eventsPrefix}/`), objects(`${LakeLayout.rejectionsPrefix}/`), objects(RESULTS_PREFIX)],
        }),
        new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [objects(RESULTS_PREFIX)] }),
        // Compaction writes a day's one file and deletes the batch files it folded in.
        new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: [objects(`${LakeLayout.eventsPrefix}/`)] }),
      ],
    });
  }

  /** Lets the ingest function keep rejected rows whole under `rejections/`. */
  grantKeepRejections(fn: lambda.Function): void {
    fn.addEnvironment(EnvNames.lakeBucket, this.bucket.bucketName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${LakeLayout.rejectionsPrefix}/*`)] }),
    );
  }

  /**
   * A Parquet table under `prefix/project=P/dt=D/`, with partition projection (Athena docs, "Use
   * partition projection with Amazon Athena"): an injected project (queries name it: WHERE
   * project = 'demo') and days from the start date to a day past NOW, so a new project or day needs no
   * catalog update and no crawler.
   */
  #partitionedTable(
    id: string,
    spec: { tableName: string; description: string; prefix: string; columns: readonly LakeColumn[] },
  ): glue.S3Table {
    const location = `s3://${this.bucket.bucketName}/${spec.prefix}/`;
    return new glue.S3Table(this, id, {
      database: this.database,
      tableName: spec.tableName,
      description: spec.description,
      storage: glue.S3TableStorage.fromBucket(this.bucket),
      s3Prefix: `${spec.prefix}/`,
      dataFormat: glue.DataFormat.PARQUET,
      columns: spec.columns.map((c) => ({ name: c.name, type: glueType[c.glue] })),
      partitionKeys: [
        { name: LakePartitions.project, type: glue.Schema.STRING },
        { name: LakePartitions.day, type: glue.Schema.STRING },
      ],
      partitionProjection: {
        [LakePartitions.project]: glue.PartitionProjectionConfiguration.injected(),
        [LakePartitions.day]: glue.PartitionProjectionConfiguration.date({
          min: LakeCatalog.projectionStartDay,
          max: LakeCatalog.projectionEndDay,
          format: 'yyyy-MM-dd',
          step: { interval: 1, intervalUnit: glue.DateIntervalUnit.DAYS },
        }),
      },
      parameters: {
        'storage.location.template': `${location}${LakePartitions.project}=\${${LakePartitions.project}}/${LakePartitions.day}=\${${LakePartitions.day}}/`,
      },
    });
  }
}
