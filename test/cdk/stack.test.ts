import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { TidemarkStack } from '../../lib/tidemark-stack.js';
import { Cors, EnvNames, EventsQueue, EventsStreamMapping, ProcessFunction, PublicWriteRoutes, Routes } from '../../resources/index.js';
import { preflight } from '../../lambdas/http/cors.js';
import { ContextError, settingsFromContext } from '../../lib/context.js';

let template: Template;
let stack: TidemarkStack;

beforeAll(() => {
  const app = new App();
  stack = new TidemarkStack(app, 'Test', {
    stageName: 'test',
    alarmEmail: 'ops@example.com',
    maxEventAgeDays: 7,
    dataRemovalPolicy: RemovalPolicy.RETAIN,
  });
  template = Template.fromStack(stack);
}, 120_000);

const functionWithEnv = (name: string) =>
  Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.includes(name))!;

describe('functions', () => {
  it('runs six Node.js 22 arm64 functions with tracing (five stages and the lake compaction)', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } },
      6,
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
    expect(Object.keys(policies).length).toBe(4);
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
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
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

  it('lets ingest read keys, write rejections, rate windows and registered names, and send to the queue, nothing else', () => {
    expect(actionsOf('IngestApiIngest')).toEqual(
      [
        'dynamodb:BatchWriteItem',
        'dynamodb:GetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ].sort(),
    );
  });

  it('lets process only put events and state, keep conflicts as rejections, read back stored copies of duplicates, and consume its queue', () => {
    expect(actionsOf('PipelineProcess')).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:PutItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
      ].sort(),
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
    expect(alarms().length).toBe(10 + 6);
    for (const alarm of alarms()) expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
  });

  it.each([
    ['events DLQ', 'ApproximateNumberOfMessagesVisible', 0],
    ["exhausted the Aggregate function's retries", 'ApproximateNumberOfMessagesVisible', 0],
    ["exhausted the Lake function's retries", 'ApproximateNumberOfMessagesVisible', 0],
    ['wait too long in the queue', 'ApproximateAgeOfOldestMessage', 300],
    ['Counting lags', 'IteratorAge', 60_000],
    ['could not be counted and was quarantined', 'RecordsQuarantined', 0],
    ['could not be written to the lake', 'LakeEventsUnplaceable', 0],
  ])('alarms when %s: %s above %d', (description, metricName, threshold) => {
    expect(alarmFor(description)).toMatchObject({
      MetricName: metricName,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms on the API 5xx rate above 1% and on any DynamoDB throttling', () => {
    const api = alarmFor('5xx');
    expect(api.Threshold).toBe(1);
    const expression = (api.Metrics as { Expression?: string }[]).find((m) => m.Expression)!.Expression;
    expect(expression).toBe('IF(requests > 0, 100 * errors / requests, 0)');
    expect(JSON.stringify(api.Metrics)).toContain('5XXError');
    const throttling = alarmFor('DynamoDB throttled');
    expect(throttling.Threshold).toBe(0);
    expect(JSON.stringify(throttling.Metrics).match(/WriteThrottleEvents/g)).toHaveLength(4);
  });

  it('alarms on errors of each of the six functions', () => {
    expect(alarms().filter((a) => a.MetricName === 'Errors' && a.Threshold === 0)).toHaveLength(6);
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
    for (const metric of [
      '5XXError',
      '4XXError',
      'Latency',
      'EventsAccepted',
      'EventsRejected',
      'ApproximateAgeOfOldestMessage',
      'IteratorAge',
      'Throttles',
      'Duration',
      'ConsumedWriteCapacityUnits',
      'Duplicates',
      'SessionsStarted',
      'IngestLag',
      'Freshness',
    ]) {
      expect(body).toContain(metric);
    }
  });

  it('outputs the API URL, the dashboard URL and what the ops CLI reads', () => {
    for (const output of ['ApiUrl', 'DashboardUrl', 'KeysTableName', 'DeadLetterQueueUrl', 'EventsQueueUrl', 'AlarmTopicArn'])
      template.hasOutput(output, {});
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

describe('alarm delivery', () => {
  const cloudWatch = { Service: 'cloudwatch.amazonaws.com' };
  const alarmsOfThisAccount = {
    StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    ArnLike: { 'aws:SourceArn': Match.anyValue() },
  };

  it('encrypts the topic with a rotated customer-managed key that CloudWatch alarms of this account may use', () => {
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key', { Properties: { EnableKeyRotation: true } }));
    expect(keyId).toBeDefined();
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: cloudWatch,
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: alarmsOfThisAccount,
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    expect(JSON.stringify(template.findResources('AWS::SNS::Topic'))).not.toContain('alias/aws/sns');
  });

  it('lets CloudWatch alarms of this account publish to the topic and still denies requests without TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: cloudWatch, Action: 'sns:Publish', Condition: alarmsOfThisAccount }),
        ]),
      },
    });
  });

  it('uses in every alarm only metric math the CloudWatch docs list as valid in alarms (no array literals)', () => {
    const validInAlarms = new Set(['IF', 'ABS', 'AVG', 'CEIL', 'FILL', 'FLOOR', 'MAX', 'MIN', 'SUM', 'RATE', 'PERIOD', 'DIFF']);
    const expressions = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .flatMap((alarm) => (alarm.Properties.Metrics ?? []) as { Expression?: string }[])
      .flatMap((metric) => (metric.Expression ? [metric.Expression] : []));
    expect(expressions.length).toBeGreaterThanOrEqual(2);
    for (const expression of expressions) {
      expect(expression).not.toContain('[');
      for (const [, name] of expression.matchAll(/([A-Z_]+)\s*\(/g)) expect(validInAlarms).toContain(name);
    }
  });

  it('alarms on any SQS send failure of the ingest function', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SqsSendFailures',
      Namespace: 'Tidemark',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('CORS', () => {
  const optionsMethods = () =>
    Object.values(template.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod === 'OPTIONS');

  it('answers a preflight on every public write route, and on no other', () => {
    expect(PublicWriteRoutes.map((r) => r.path)).not.toContain('/v1/import');
    expect(PublicWriteRoutes.length).toBeGreaterThanOrEqual(2);
    expect(optionsMethods()).toHaveLength(new Set(PublicWriteRoutes.map((r) => r.path)).size);
  });

  it('answers the preflight with exactly the headers the local server sends', () => {
    const local = preflight('http://127.0.0.1:5173', Cors.defaultAllowOrigins);
    for (const method of optionsMethods()) {
      const [response] = method.Properties.Integration.IntegrationResponses;
      expect(method.Properties.Integration.Type).toBe('MOCK');
      expect(Number(response.StatusCode)).toBe(local.statusCode);
      const deployed = Object.fromEntries(
        Object.entries(response.ResponseParameters as Record<string, string>).map(([name, value]) => [
          name.replace('method.response.header.', '').toLowerCase(),
          value.slice(1, -1),
        ]),
      );
      expect(deployed).toEqual(local.headers);
    }
    for (const header of [
      'authorization',
      'content-type',
      'content-encoding',
      'x-api-key',
      'idempotency-key',
      'openpanel-client-id',
      'openpanel-client-secret',
      'openpanel-sdk-name',
      'openpanel-sdk-version',
    ]) {
      expect(local.headers['access-control-allow-headers']!.split(',')).toContain(header);
    }
  });

  it('tells the ingest function the allowed origins and lets gateway errors carry them', () => {
    const [, ingest] = functionWithEnv('IngestApiIngest');
    expect(ingest.Properties.Environment.Variables.TIDEMARK_CORS_ALLOW_ORIGINS).toBe('*');
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" },
      });
    }
  });

  it('narrows the preflight to the origins given as a stack property', () => {
    const narrowed = Template.fromStack(new TidemarkStack(new App(), 'Narrow', { corsAllowOrigins: ['https://shop.example'] }));
    narrowed.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: Match.objectLike({
        IntegrationResponses: [
          Match.objectLike({
            ResponseParameters: Match.objectLike({ 'method.response.header.Access-Control-Allow-Origin': "'https://shop.example'" }),
          }),
        ],
      }),
    });
    narrowed.resourceCountIs('AWS::ApiGateway::GatewayResponse', 0);
  });
});

describe('stack hygiene', () => {
  it('names the REST API after the stack, so API Gateway metrics of two stacks never merge', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'Test-api' });
  });

  it('leaves the account-wide API Gateway CloudWatch role alone unless asked, and then retains it', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    const optedIn = Template.fromStack(new TidemarkStack(new App(), 'OptedIn', { createApiGatewayCloudWatchRole: true }));
    optedIn.resourceCountIs('AWS::ApiGateway::Account', 1);
    const roles = optedIn.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })] } },
    });
    expect(Object.values(roles).map((role) => role.DeletionPolicy)).toEqual(['Retain']);
  });

  it('caps the concurrency of the SQS event source as resources/ says', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: EventsQueue.batchSize,
      ScalingConfig: { MaximumConcurrency: EventsQueue.maxConcurrency },
    });
    expect(EventsQueue.maxConcurrency).toBeGreaterThanOrEqual(2);
    expect(EventsQueue.maxConcurrency).toBeLessThanOrEqual(1000);
  });

  it('turns deletion protection on for every retained data table', () => {
    template.resourcePropertiesCountIs('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true }, 4);
  });
});

describe('context flags', () => {
  const settings = (context: Record<string, unknown>) => settingsFromContext((name) => context[name]);

  it('keeps the defaults when no flag is given', () => {
    expect(settings({})).toEqual({ stackName: 'Tidemark', withConsole: false, props: {} });
  });

  it('turns valid flags into stack props, from strings as -c gives them', () => {
    expect(
      settings({
        stackName: 'Tidemark-prod',
        maxEventAgeDays: '7',
        projectRateLimitPerSecond: '0',
        corsAllowOrigins: 'https://a.example,https://b.example',
        apiGatewayCloudWatchRole: 'true',
      }),
    ).toEqual({
      stackName: 'Tidemark-prod',
      withConsole: false,
      props: {
        maxEventAgeDays: 7,
        projectRateLimitPerSecond: 0,
        corsAllowOrigins: ['https://a.example', 'https://b.example'],
        createApiGatewayCloudWatchRole: true,
      },
    });
  });

  it.each([
    ['maxEventAgeDays', '0'],
    ['maxEventAgeDays', '2.5'],
    ['maxEventAgeDays', 'five'],
    ['eventRetentionDays', '-1'],
    ['projectRateLimitPerSecond', '1e9'],
    ['throttlingBurstLimit', '0'],
    ['stackName', '1stack'],
    ['stageName', 'v 1'],
    ['alarmEmail', 'ops'],
    ['corsAllowOrigins', '*,https://a.example'],
    ['corsAllowOrigins', 'a.example'],
    ['apiGatewayCloudWatchRole', 'yes'],
  ])('fails synth on -c %s=%s with a message naming the flag', (flag, value) => {
    expect(() => settings({ [flag]: value })).toThrow(ContextError);
    expect(() => settings({ [flag]: value })).toThrow(`-c ${flag}=${value}`);
  });

  it('refuses a maximum event age beyond the retention', () => {
    expect(() => settings({ maxEventAgeDays: '30', eventRetentionDays: '10' })).toThrow(/maxEventAgeDays/);
  });
});
