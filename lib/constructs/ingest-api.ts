/**
 * The HTTP front door: a REST API with stage throttling and access logs, the ingest and query
 * functions behind the routes of `resources/routes.ts`, and the keys table that maps a key to its
 * project (keys are checked by the functions, so the same check runs on AWS and locally).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ApiFunctions, Cors, EnvNames, EventsTable, KeysTable, PublicWriteRoutes, Routes } from '../../resources/index.js';
import { TidemarkFunction } from './function.js';
import { grantTable } from './grants.js';
import { tableFromDefinition } from './table.js';

export type IngestApiProps = {
  readonly stageName: string;
  readonly queue: sqs.IQueue;
  readonly eventsTable: dynamodb.ITable;
  readonly stateTable: dynamodb.ITable;
  readonly aggregatesTable: dynamodb.ITable;
  readonly maxEventAgeDays: number;
  readonly eventRetentionDays: number;
  /** Ingest requests per second per project; 0 turns the per-project limit off. */
  readonly projectRateLimitPerSecond: number;
  /** Stage-wide steady-state requests per second and burst. */
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Origins allowed to call the public write routes from a browser. */
  readonly corsAllowOrigins: readonly string[];
  /**
   * Create the account-wide API Gateway CloudWatch Logs role (one per account and region, shared
   * by every API). Off by default so this stack never replaces another stack's role.
   */
  readonly createApiGatewayCloudWatchRole: boolean;
};

export class IngestApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly keysTable: dynamodb.Table;
  readonly ingestFunction: TidemarkFunction;
  readonly queryFunction: TidemarkFunction;
  /** The HMAC key of listing cursors, generated at deploy; the query function gets it in its environment. */
  readonly cursorSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    this.keysTable = tableFromDefinition(this, KeysTable, props.removalPolicy);

    this.ingestFunction = new TidemarkFunction(this, 'Ingest', {
      name: 'ingest',
      ...ApiFunctions.ingest,
      logRetention: props.logRetention,
      environment: {
        [EnvNames.keysTable]: this.keysTable.tableName,
        [EnvNames.stateTable]: props.stateTable.tableName,
        [EnvNames.eventsQueueUrl]: props.queue.queueUrl,
        [EnvNames.maxEventAgeDays]: String(props.maxEventAgeDays),
        [EnvNames.rateLimitPerSecond]: String(props.projectRateLimitPerSecond),
        [EnvNames.corsAllowOrigins]: props.corsAllowOrigins.join(','),
      },
    });
    const ingest = this.ingestFunction.function;
    grantTable(ingest, this.keysTable, ['GetItem']);
    // The name registry writes in TransactWriteItems, which IAM authorizes as the PutItem and UpdateItem inside it
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html); GetItem asks whether a name is registered.
    grantTable(ingest, props.stateTable, ['BatchWriteItem', 'GetItem', 'PutItem', 'UpdateItem']);
    props.queue.grantSendMessages(ingest);

    this.cursorSecret = new secretsmanager.Secret(this, 'CursorSecret', {
      description: 'Tidemark: HMAC key that signs the cursors of /v1/events and /v1/rejections',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: props.removalPolicy,
    });
    this.queryFunction = new TidemarkFunction(this, 'Query', {
      name: 'query',
      ...ApiFunctions.query,
      logRetention: props.logRetention,
      environment: {
        [EnvNames.keysTable]: this.keysTable.tableName,
        [EnvNames.eventsTable]: props.eventsTable.tableName,
        [EnvNames.stateTable]: props.stateTable.tableName,
        [EnvNames.aggregatesTable]: props.aggregatesTable.tableName,
        [EnvNames.eventRetentionDays]: String(props.eventRetentionDays),
        // A dynamic reference CloudFormation resolves at deploy: the value is in no template, and
        // the function needs no Secrets Manager call (nor its latency) at cold start.
        [EnvNames.cursorSecret]: this.cursorSecret.secretValue.unsafeUnwrap(),
      },
    });
    const query = this.queryFunction.function;
    grantTable(query, this.keysTable, ['GetItem']);
    grantTable(query, props.eventsTable, ['Query', 'BatchGetItem'], [EventsTable.globalIndexes[0].indexName]);
    grantTable(query, props.stateTable, ['GetItem', 'Query', 'BatchGetItem']);
    grantTable(query, props.aggregatesTable, ['Query']);

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.api = new apigateway.RestApi(this, 'Api', {
      // API Gateway metrics are keyed by API name: one name per stack keeps stacks apart.
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'Tidemark event ingestion and read API',
      // Bodies reach the functions base64-encoded whatever their type, so gzip arrives intact.
      binaryMediaTypes: ['*/*'],
      // The role is an account-and-region setting (AWS::ApiGateway::Account): created only on request,
      // and retained, so deleting this stack never leaves the account pointing at a deleted role.
      cloudWatchRole: props.createApiGatewayCloudWatchRole,
      ...(props.createApiGatewayCloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigateway.AccessLogField.contextRequestId(),
            time: apigateway.AccessLogField.contextRequestTime(),
            method: apigateway.AccessLogField.contextHttpMethod(),
            path: apigateway.AccessLogField.contextResourcePath(),
            status: apigateway.AccessLogField.contextStatus(),
            latencyMs: apigateway.AccessLogField.contextResponseLatency(),
            responseLength: apigateway.AccessLogField.contextResponseLength(),
          }),
        ),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        metricsEnabled: true,
        tracingEnabled: true,
      },
    });
    const integrations = {
      ingest: new apigateway.LambdaIntegration(ingest),
      query: new apigateway.LambdaIntegration(query),
    };
    for (const route of Routes) {
      this.api.root.resourceForPath(route.path).addMethod(route.method, integrations[route.function]);
    }
    const corsOptions: apigateway.CorsOptions = {
      allowOrigins: [...props.corsAllowOrigins],
      allowMethods: [...Cors.allowMethods],
      allowHeaders: [...Cors.allowHeaders],
      maxAge: Duration.seconds(Cors.maxAgeSeconds),
    };
    // One OPTIONS method per path, however many write methods it serves.
    for (const path of new Set(PublicWriteRoutes.map((route) => route.path)))
      this.api.root.resourceForPath(path).addCorsPreflight(corsOptions);
    // Answers API Gateway gives itself (413 over 10 MB, 429 throttled, 5xx) must be readable by a browser too.
    if (props.corsAllowOrigins.includes('*')) {
      for (const [id, type] of [
        ['Default4xx', apigateway.ResponseType.DEFAULT_4XX],
        ['Default5xx', apigateway.ResponseType.DEFAULT_5XX],
      ] as const) {
        this.api.addGatewayResponse(id, { type, responseHeaders: { 'Access-Control-Allow-Origin': "'*'" } });
      }
    }
  }
}
