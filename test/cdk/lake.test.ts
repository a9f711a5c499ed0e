/** The event lake on AWS: bucket, writer and its mapping, Glue table with projection, Athena workgroup, grants. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TidemarkStack } from '../../lib/tidemark-stack.js';
import {
  LakeBucket,
  LakeCatalog,
  LakeCompaction,
  LakeEventColumns,
  LakeRejectionColumns,
  LakeStreamMapping,
  LakeWorkgroup,
} from '../../resources/index.js';

let template: Template;

beforeAll(() => {
  template = Template.fromStack(new TidemarkStack(new App(), 'LakeTest'));
}, 120_000);

const policyStatements = (idPrefix: string, type = 'AWS::IAM::Policy') => {
  const [, policy] = Object.entries(template.findResources(type)).find(([id]) => id.startsWith(idPrefix))!;
  return policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
};
const actions = (statements: { Action: string | string[] }[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('lake bucket', () => {
  it('is encrypted, private, TLS only, and moves events to cheaper tiers', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: 'events/',
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: LakeBucket.infrequentAccessAfterDays },
              { StorageClass: 'GLACIER_IR', TransitionInDays: LakeBucket.glacierInstantAfterDays },
            ],
          }),
          Match.objectLike({ Prefix: 'athena-results/', ExpirationInDays: LakeWorkgroup.resultsRetentionDays }),
        ]),
      },
    });
    const [, policy] = Object.entries(template.findResources('AWS::S3::BucketPolicy')).find(([id]) => id.startsWith('LakeLakeBucket'))!;
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });
});

describe('lake writer', () => {
  it('consumes the events stream with its own mapping: inserts only, bounded retries, an on-failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^LakeWriter') },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: LakeStreamMapping.batchSize,
      MaximumBatchingWindowInSeconds: LakeStreamMapping.maxBatchingWindowSeconds,
      MaximumRetryAttempts: LakeStreamMapping.retryAttempts,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
    });
  });

  it('may only put objects under events/ (besides reading its stream)', () => {
    const statements = policyStatements('LakeWriter');
    const s3 = statements.filter((s) => actions([s]).some((a) => a.startsWith('s3:')));
    expect(actions(s3)).toEqual(['s3:PutObject']);
    expect(JSON.stringify(s3[0]!.Resource)).toContain('/events/*');
    const streamReads = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];
    expect(actions(statements).filter((a) => a.startsWith('dynamodb:') && !streamReads.includes(a))).toEqual([]);
  });
});

describe('lake compaction', () => {
  it('runs daily at the shared UTC time, a failed run retried by Lambda, with the time and memory resources/ states', () => {
    const [compactionId, compaction] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('LakeCompaction'),
    )!;
    expect(compaction.Properties).toMatchObject({ Timeout: LakeCompaction.timeoutSeconds, MemorySize: LakeCompaction.memoryMb });
    expect(compaction.Properties.Environment.Variables.TIDEMARK_LAKE_BUCKET.Ref).toMatch(/^LakeLakeBucket/);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `cron(${LakeCompaction.minuteUtc} ${LakeCompaction.hourUtc} * * ? *)`,
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [compactionId, 'Arn'] }, RetryPolicy: Match.absent() })],
    });
    // A target's retry policy only retries handing the event to Lambda; the function's own errors are retried by its async invoke config.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: compactionId },
      MaximumRetryAttempts: LakeCompaction.retryAttempts,
    });
  });

  it('may list, read, write and delete only under events/', () => {
    const statements = policyStatements('LakeCompactionFunction');
    const s3 = statements.filter((s) => actions([s]).some((a) => a.startsWith('s3:')));
    expect(actions(s3).sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
    const list = s3.find((s) => actions([s]).includes('s3:ListBucket')) as { Condition?: unknown };
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['events/*'] } });
    for (const statement of s3.filter((s) => s !== list)) expect(JSON.stringify(statement.Resource)).toContain('/events/*');
    expect(actions(statements).filter((a) => a.startsWith('dynamodb:') || a.startsWith('sqs:'))).toEqual([]);
  });
});

describe('rejected rows', () => {
  it('lets the ingest function put rejected rows under rejections/, and names the bucket in its environment', () => {
    const s3 = policyStatements('IngestApiIngest').filter((s) => actions([s]).some((a) => a.startsWith('s3:')));
    expect(actions(s3)).toEqual(['s3:PutObject']);
    expect(JSON.stringify(s3[0]!.Resource)).toContain('/rejections/*');
    const [, ingest] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('IngestApiIngest'))!;
    expect(ingest.Properties.Environment.Variables.TIDEMARK_LAKE_BUCKET.Ref).toMatch(/^LakeLakeBucket/);
  });
});

describe('catalog and Athena', () => {
  it('declares the Parquet events and rejections tables with typed columns, and partition projection on project and day', () => {
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: LakeCatalog.databaseName } });
    const tables = Object.values(template.findResources('AWS::Glue::Table')).map((t) => t.Properties.TableInput);
    expect(tables.map((t) => t.Name).sort()).toEqual([LakeCatalog.eventsTableName, LakeCatalog.rejectionsTableName].sort());
    const input = tables.find((t) => t.Name === LakeCatalog.eventsTableName)!;
    expect(input.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => [c.Name, c.Type])).toEqual(
      LakeEventColumns.map((c) => [c.name, c.glue]),
    );
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toContain('ParquetHiveSerDe');
    // The rejections table: the columns added later (the batch's sentAt, the replayable row) last, where Athena takes columns older files lack.
    const rejections = tables.find((t) => t.Name === LakeCatalog.rejectionsTableName)!;
    expect(rejections.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => [c.Name, c.Type])).toEqual(
      LakeRejectionColumns.map((c) => [c.name, c.glue]),
    );
    expect(rejections.StorageDescriptor.Columns.slice(-2)).toEqual([
      { Name: 'sentat', Type: 'timestamp' },
      { Name: 'replayrow', Type: 'string' },
    ]);
    expect(input.PartitionKeys).toEqual([
      { Name: 'project', Type: 'string' },
      { Name: 'dt', Type: 'string' },
    ]);
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.project.type': 'injected',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': `${LakeCatalog.projectionStartDay},NOW+1DAYS`,
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's partition projection template really contains `${project}`
    expect(JSON.stringify(input.Parameters['storage.location.template'])).toContain('/events/project=${project}/dt=${dt}/');
  });

  it('runs queries in a workgroup with encrypted results and a per-query scan limit, enforced', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: LakeWorkgroup.bytesScannedCutoffPerQuery,
        ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' }, OutputLocation: Match.anyValue() },
      },
    });
  });

  it('gives operators a policy for this workgroup, this table and this bucket only', () => {
    const statements = policyStatements('LakeQueryPolicy', 'AWS::IAM::ManagedPolicy');
    expect(actions(statements).sort()).toEqual(
      [
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StartQueryExecution',
        'athena:StopQueryExecution',
        'glue:GetDatabase',
        'glue:GetTable',
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        's3:GetBucketLocation',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        's3:PutObject',
      ].sort(),
    );
    for (const statement of statements) expect(statement.Resource).not.toBe('*');
  });

  it('outputs what tidemark sql --stack reads', () => {
    for (const output of ['LakeBucketName', 'LakeWorkgroupName', 'LakeQueryPolicyArn']) template.hasOutput(output, {});
  });
});
