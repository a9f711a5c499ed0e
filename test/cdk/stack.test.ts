import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { TidemarkStack } from '../../lib/tidemark-stack.js';
import { EnvNames, EventsQueue, EventsStreamMapping, ProcessFunction, Routes } from '../../resources/index.js';

let template: Template;
let stack: TidemarkStack;

beforeAll(() => {
  const app = new App();
  stack = new TidemarkStack(app, 'Test', { stageName: 'test', alarmEmail: 'ops@example.com', maxEventAgeDays: 7 });
  template = Template.fromStack(stack);
}, 120_000);

const functionWithEnv = (name: string) =>
  Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.includes(name))!;

describe('functions', () => {
  it('runs four Node.js 22 arm64 functions with tracing', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } },
      4,
    );
  });

  it('passes limits from props into the ingest function', () => {
    const [, ingest] = functionWithEnv('IngestApiIngest');
    expect(ingest.Properties.Environment.Variables.TIDEMARK_MAX_EVENT_AGE_DAYS).toBe('7');
  });

  it('gives the query function a cursor signing key generated at deploy, not written in the template', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ PasswordLength: 64 }) });
    const [, query] = functionWithEnv('IngestApiQuery');
    const secret = JSON.stringify(query.Properties.Environment.Variables[EnvNames.cursorSecret]);
    expect(secret).toContain('{{resolve:secretsmanager:');
    expect(secret).toContain('CursorSecret');
  });
});

describe('queue', () => {
  it('is a high-throughput FIFO queue with SSE, a FIFO DLQ and a visibility timeout of at least 6x the processor timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      SqsManagedSseEnabled: true,
      VisibilityTimeout: EventsQueue.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: EventsQueue.maxReceiveCount },
    });
    expect(EventsQueue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * ProcessFunction.timeoutSeconds);
    const fifoQueues = template.findResources('AWS::SQS::Queue', { Properties: { FifoQueue: true } });
    expect(Object.keys(fifoQueues)).toHaveLength(2);
  });

  it('denies requests without TLS on every queue', () => {
    const policies = template.findResources('AWS::SQS::QueuePolicy');
    expect(Object.keys(policies).length).toBe(3);
    for (const policy of Object.values(policies)) {
      expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('feeds the process function in batches of 10 with partial batch responses and no batching window', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: EventsQueue.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumBatchingWindowInSeconds: Match.absent(),
      ScalingConfig: { MaximumConcurrency: EventsQueue.maxConcurrency },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('PipelineEventsQueue'), 'Arn'] },
    });
  });
});

describe('tables', () => {
  it('creates four on-demand tables with PITR, SSE and a TTL attribute', () => {
    template.resourcePropertiesCountIs(
      'AWS::DynamoDB::Table',
      {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
      4,
    );
  });

  it('streams new images of the events table to the aggregate function, inserts only, bisect off, bounded retries, on-failure queue', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byDay' })],
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: EventsStreamMapping.batchSize,
      MaximumBatchingWindowInSeconds: EventsStreamMapping.maxBatchingWindowSeconds,
      BisectBatchOnFunctionError: false,
      MaximumRetryAttempts: EventsStreamMapping.retryAttempts,
      TumblingWindowInSeconds: EventsStreamMapping.tumblingWindowSeconds,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
    });
  });
});

describe('API', () => {
  it('serves every route of the contract', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods.map((m) => m.Properties.HttpMethod).sort()).toEqual(Routes.map((r) => r.method).sort());
    const paths = Object.values(template.findResources('AWS::ApiGateway::Resource')).map((r) => r.Properties.PathPart);
    for (const route of Routes) {
      for (const part of route.path.split('/').filter(Boolean)) expect(paths).toContain(part);
    }
  });

  it('throttles the stage, writes access logs without IPs, and passes bodies as binary', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'test',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 })],
    });
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0]!;
    expect(stage.Properties.AccessLogSetting.Format).not.toContain('sourceIp');
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
  });
});

describe('least privilege', () => {
  const statementsOf = (name: string) => {
    const policies = template.findResources('AWS::IAM::Policy');
    const policy = Object.entries(policies).find(([id]) => id.startsWith(name))![1];
    return policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
  };
  const actionsOf = (name: string) =>
    statementsOf(name)
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .filter((a) => a.startsWith('dynamodb:') || a.startsWith('sqs:'))
      .sort();

  it('lets ingest read keys, write rejections and rate windows, and send to the queue, nothing else', () => {
    expect(actionsOf('IngestApiIngest')).toEqual(
      ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort(),
    );
  });

  it('lets process only put events and state, read back stored copies of duplicates, and consume its queue', () => {
    expect(actionsOf('PipelineProcess')).toEqual(
      ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'].sort(),
    );
  });

  it('never grants a write to the query function', () => {
    const actions = actionsOf('IngestApiQuery');
    expect(actions.filter((a) => /Put|Update|Delete|Write|Send/.test(a))).toEqual([]);
  });

  it('grants no dynamodb wildcard resource', () => {
    for (const name of ['IngestApiIngest', 'IngestApiQuery', 'PipelineProcess', 'AggregatesAggregate']) {
      const dynamo = statementsOf(name).filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
      expect(JSON.stringify(dynamo)).not.toContain('/index/*');
    }
  });
});

describe('operations', () => {
  const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const alarmFor = (description: string) => alarms().find((a) => String(a.AlarmDescription).includes(description))!;

  it('sends every alarm to the topic that has the e-mail subscription', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;
    expect(alarms().length).toBe(7 + 4);
    for (const alarm of alarms()) expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
  });

  it.each([
    ['events DLQ', 'ApproximateNumberOfMessagesVisible', 0],
    ['exhausted their retries', 'ApproximateNumberOfMessagesVisible', 0],
    ['wait too long in the queue', 'ApproximateAgeOfOldestMessage', 300],
    ['Counting lags', 'IteratorAge', 60_000],
    ['could not be counted and was quarantined', 'RecordsQuarantined', 0],
  ])('alarms when %s: %s above %d', (description, metricName, threshold) => {
    expect(alarmFor(description)).toMatchObject({ MetricName: metricName, Threshold: threshold, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('alarms on the API 5xx rate above 1% and on any DynamoDB throttling', () => {
    const api = alarmFor('5xx');
    expect(api.Threshold).toBe(1);
    expect(JSON.stringify(api.Metrics)).toContain('100 * errors / MAX([requests, 1])');
    expect(JSON.stringify(api.Metrics)).toContain('5XXError');
    const throttling = alarmFor('DynamoDB throttled');
    expect(throttling.Threshold).toBe(0);
    expect(JSON.stringify(throttling.Metrics).match(/WriteThrottleEvents/g)).toHaveLength(4);
  });

  it('alarms on errors of each of the four functions', () => {
    expect(alarms().filter((a) => a.MetricName === 'Errors' && a.Threshold === 0)).toHaveLength(4);
  });

  it('builds a dashboard with every widget ops need', () => {
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    expect(Object.keys(dashboards)).toHaveLength(1);
    const body = JSON.stringify(Object.values(dashboards)[0]!.Properties.DashboardBody);
    for (const title of [
      'API requests and errors',
      'API latency',
      'Ingest rows',
      'Queue',
      'Dead letters',
      'Stream iterator age',
      'Function errors',
      'Function throttles',
      'Function duration p99',
      'DynamoDB throttles',
      'DynamoDB consumed capacity',
      'Pipeline',
      'Ingest lag and freshness',
      'Alarms',
    ]) {
      expect(body).toContain(`\\"title\\":\\"${title}`);
    }
    for (const metric of ['5XXError', '4XXError', 'Latency', 'EventsAccepted', 'EventsRejected', 'ApproximateAgeOfOldestMessage', 'IteratorAge', 'Throttles', 'Duration', 'ConsumedWriteCapacityUnits', 'Duplicates', 'SessionsStarted', 'IngestLag', 'Freshness']) {
      expect(body).toContain(metric);
    }
  });

  it('outputs the API URL, the dashboard URL and what the ops CLI reads', () => {
    for (const output of ['ApiUrl', 'DashboardUrl', 'KeysTableName', 'DeadLetterQueueUrl', 'EventsQueueUrl', 'AlarmTopicArn']) template.hasOutput(output, {});
    expect(JSON.stringify(template.findOutputs('DashboardUrl'))).toContain('#dashboards:name=');
  });
});

describe('cdk-nag', () => {
  it('reports no unacknowledged AwsSolutions finding, and every acknowledgement has a reason', () => {
    const app = new App();
    const nagged = new TidemarkStack(app, 'Nagged');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    const acknowledgements = nagged.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect(id).toMatch(/^AwsSolutions::AwsSolutions-/);
      expect(reason.length).toBeGreaterThan(20);
    }
  });

  it('fails synthesis when a finding is not acknowledged', async () => {
    const { Stack } = await import('aws-cdk-lib');
    const { Queue } = await import('aws-cdk-lib/aws-sqs');
    const app = new App();
    new Queue(new Stack(app, 'Bad'), 'PlainQueue');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow();
  });
});
