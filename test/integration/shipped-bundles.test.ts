/**
 * What ships is what is tested: the stack is synthesized once (offline), and the esbuild bundles
 * in its cloud assembly carry events ingest → queue → process → stream → aggregate → query, and
 * stream → lake writer → the scheduled compaction, against DynamoDB Local and fauxqs (SQS and S3). Each invocation is a fresh Node process holding exactly the
 * environment the template gives that function, with only resource names, the region and
 * credentials (what Lambda provides) and the local endpoints substituted. A bundle that needs a
 * module the Lambda runtime lacks, or a variable the template does not set, fails here.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, SQSEvent } from 'aws-lambda';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoKeyStore } from '../../lambdas/adapters/key-store.js';
import { decodeParquet } from '../../lambdas/core/lake-parquet.js';
import { KeyKind } from '../../lambdas/core/keys.js';
import { TidemarkStack } from '../../lib/tidemark-stack.js';
import { startDynamoDbLocal, startSqs, type Engine } from '../../local/engines.js';
import { createQueues, createTable, type LocalQueues } from '../../local/provision.js';
import { toSqsRecord } from '../../local/sqs-poller.js';
import { toDynamoDbRecord, type ShardBatchEvent } from '../../local/stream-poller.js';
import {
  AggregatesTable,
  DeadLetterQueue,
  EnvNames,
  EventsQueue,
  EventsStreamMapping,
  EventsTable,
  KeysTable,
  StateTable,
} from '../../resources/index.js';
import { dayRange } from '../helpers/local.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const runner = fileURLToPath(new URL('../helpers/lambda-runner.cjs', import.meta.url));
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const LAKE_BUCKET = 'shipped-lake';

type ShippedFunction = {
  logicalId: string;
  bundleDir: string;
  handler: string;
  timeoutSeconds: number;
  environment: Record<string, unknown>;
};
type Invocation = { ok: boolean; result?: any; error?: string; importMs: number };

let outdir: string;
let dataDir: string;
let functions: ShippedFunction[];
let engines: Engine[] = [];
let dynamoEndpoint: string;
let sqsEndpoint: string;
let queues: LocalQueues;
const tableNames: Record<string, string> = {};
let eventsStreamArn: string;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'tidemark-assembly-'));
  dataDir = mkdtempSync(join(tmpdir(), 'tidemark-bundles-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new TidemarkStack(app, 'Shipped');
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, any> };
  functions = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Metadata?.['aws:asset:path'])
    .map(([logicalId, resource]) => ({
      logicalId,
      bundleDir: join(outdir, resource.Metadata['aws:asset:path']),
      handler: resource.Properties.Handler,
      timeoutSeconds: resource.Properties.Timeout ?? 3,
      environment: resource.Properties.Environment?.Variables ?? {},
    }));

  const [dynamo, sqs] = await Promise.all([startDynamoDbLocal(dataDir), startSqs()]);
  engines = [dynamo, sqs];
  dynamoEndpoint = dynamo.endpoint;
  sqsEndpoint = sqs.endpoint;
  const dynamoClient = new DynamoDBClient({ endpoint: dynamoEndpoint, region: 'us-east-1', credentials });
  for (const table of [EventsTable, StateTable, AggregatesTable, KeysTable]) {
    const created = await createTable(dynamoClient, table);
    tableNames[table.id] = created.name;
    if (created.streamArn) eventsStreamArn = created.streamArn;
  }
  const sqsClient = new SQSClient({ endpoint: sqsEndpoint, region: 'us-east-1', credentials });
  queues = await createQueues(sqsClient);
  sqsClient.destroy();
  const s3 = new S3Client({ endpoint: sqsEndpoint, region: 'us-east-1', credentials, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: LAKE_BUCKET }));
  s3.destroy();
  const documents = DynamoDBDocumentClient.from(dynamoClient);
  await new DynamoKeyStore(documents, tableNames[KeysTable.id]!, 0).create('shipped-write-key', 'shipped', KeyKind.write);
  await new DynamoKeyStore(documents, tableNames[KeysTable.id]!, 0).create('shipped-secret-key', 'shipped', KeyKind.secret);
  documents.destroy();
}, 300_000);

afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.stop()));
  for (const dir of [outdir, dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A template value with CloudFormation references replaced by the local resource they name. */
function localValue(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  // A Secrets Manager dynamic reference, which CloudFormation resolves at deploy: a secret of our own.
  if (JSON.stringify(value).includes('{{resolve:secretsmanager:')) return randomUUID().replaceAll('-', '');
  const ref = (value as { Ref?: string }).Ref;
  if (typeof ref === 'string') {
    const table = [EventsTable, StateTable, AggregatesTable, KeysTable].find((t) => ref.includes(t.id));
    if (table) return tableNames[table.id]!;
    if (ref.includes(EventsQueue.id)) return queues.queueUrl;
    if (ref.includes(DeadLetterQueue.id)) return queues.dlqUrl;
    // The lake bucket: fauxqs's S3 (the SQS engine serves both), on loopback (AWS_ENDPOINT_URL_S3 below).
    if (ref.includes('Lake')) return LAKE_BUCKET;
  }
  throw new Error(`${name}: no local stand-in for ${JSON.stringify(value)}`);
}

/** Exactly the template's environment, resources substituted, plus what Lambda itself sets and the local endpoints. */
function environmentOf(fn: ShippedFunction): Record<string, string> {
  const environment = Object.fromEntries(Object.entries(fn.environment).map(([name, value]) => [name, localValue(name, value)]));
  return {
    ...environment,
    [EnvNames.dynamodbEndpoint]: dynamoEndpoint,
    [EnvNames.sqsEndpoint]: sqsEndpoint,
    AWS_ENDPOINT_URL_S3: sqsEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: fn.bundleDir,
    TZ: ':UTC',
    PATH: '/usr/local/bin:/usr/bin:/bin',
  };
}

function run(fn: ShippedFunction, event?: unknown): Promise<Invocation> {
  return new Promise((resolve, reject) => {
    const args = [
      runner,
      fn.bundleDir,
      fn.handler,
      projectRoot,
      String(fn.timeoutSeconds),
      ...(event === undefined ? ['--import-only'] : []),
    ];
    const child = spawn(process.execPath, args, { env: environmentOf(fn), stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    let report = '';
    let output = '';
    child.stdio[3]!.on('data', (chunk: Buffer) => (report += chunk));
    child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk).slice(-4000)));
    child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk).slice(-4000)));
    child.on('error', reject);
    child.on('close', () => {
      if (!report) return reject(new Error(`${fn.logicalId} wrote no result: ${output}`));
      const outcome = JSON.parse(report) as Invocation;
      if (!outcome.ok) return reject(new Error(`${fn.logicalId} failed: ${outcome.error}`));
      resolve(outcome);
    });
    child.stdin!.end(event === undefined ? '' : JSON.stringify(event));
  });
}

const shipped = (name: string) => {
  const fn = functions.find((f) => f.logicalId.startsWith(name));
  if (!fn) throw new Error(`no function ${name} in the assembly: ${functions.map((f) => f.logicalId).join(', ')}`);
  return fn;
};

function apiEvent(
  method: string,
  resource: string,
  init: { key: string; body?: unknown; query?: Record<string, string> },
): APIGatewayProxyEvent {
  const body = init.body === undefined ? null : Buffer.from(JSON.stringify(init.body)).toString('base64');
  const headers = { authorization: `Bearer ${init.key}`, 'content-type': 'application/json' };
  return {
    resource,
    path: resource,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: init.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: body !== null,
    requestContext: { requestId: randomUUID(), stage: 'v1', resourcePath: resource, httpMethod: method } as never,
  };
}

describe('the bundles in the cloud assembly', () => {
  it('each load in a bare Node process, needing only built-in modules and the runtime’s AWS SDK', async () => {
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const fn of functions) {
      const { importMs } = await run(fn);
      const bytes = statSync(join(fn.bundleDir, `${fn.handler.split('.')[0]}.js`)).size;
      console.log(`bundle ${fn.logicalId}: ${(bytes / 1024).toFixed(0)} KiB, cold import ${importMs.toFixed(0)} ms`);
      expect(bytes).toBeGreaterThan(0);
    }
  }, 120_000);

  it('would fail on a bundle that needs a module the runtime lacks or a variable the template does not set', async () => {
    const bundleDir = mkdtempSync(join(tmpdir(), 'tidemark-bad-bundle-'));
    try {
      writeFileSync(join(bundleDir, 'index.js'), "exports.handler = async () => require('zod');");
      const needsModule = { logicalId: 'NeedsModule', bundleDir, handler: 'index.handler', timeoutSeconds: 3, environment: {} };
      await expect(run(needsModule, {})).rejects.toThrow(/requires 'zod', which the Lambda Node.js runtime does not provide/);
      writeFileSync(
        join(bundleDir, 'index.js'),
        "exports.handler = async () => { if (!process.env.TIDEMARK_EVENTS_TABLE) throw new Error('missing'); };",
      );
      await expect(run({ ...needsModule, logicalId: 'NeedsVariable' }, {})).rejects.toThrow(/missing/);
    } finally {
      rmSync(bundleDir, { recursive: true, force: true });
    }
  });

  it('carry a batch from ingest to the counters the query function serves', async () => {
    const now = new Date();
    const ingest = await run(
      shipped('IngestApiIngest'),
      apiEvent('POST', '/v1/batch', {
        key: 'shipped-write-key',
        body: {
          events: [
            { event: 'shipped', deviceId: 'phone-1', value: 2, timestamp: now.toISOString() },
            { event: 'shipped', deviceId: 'phone-2', value: 3, timestamp: now.toISOString() },
          ],
        },
      }),
    );
    expect(ingest.result.statusCode).toBe(202);
    expect(JSON.parse(ingest.result.body)).toEqual({ accepted: 2, rejected: [] });

    const sqs = new SQSClient({ endpoint: sqsEndpoint, region: 'us-east-1', credentials });
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.queueUrl,
        MaxNumberOfMessages: EventsQueue.batchSize,
        MessageSystemAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    sqs.destroy();
    expect(Messages.length).toBeGreaterThan(0);
    const sqsEvent: SQSEvent = { Records: Messages.map((message) => toSqsRecord(message, queues.queueArn)) };
    const processed = await run(shipped('PipelineProcess'), sqsEvent);
    expect(processed.result).toEqual({ batchItemFailures: [] });

    const streams = new DynamoDBStreamsClient({ endpoint: dynamoEndpoint, region: 'us-east-1', credentials });
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: eventsStreamArn }));
    // One invocation per shard, shaped as the mapping's tumbling window sends it (records plus their shard).
    let counted = 0;
    for (const shard of StreamDescription?.Shards ?? []) {
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({ StreamArn: eventsStreamArn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const { Records = [] } = await streams.send(new GetRecordsCommand({ ShardIterator }));
      const records = Records.filter((record) => record.eventName === 'INSERT').map((record) => toDynamoDbRecord(record, eventsStreamArn));
      if (records.length === 0) continue;
      const start = new Date();
      const streamEvent: ShardBatchEvent = {
        Records: records,
        shardId: shard.ShardId!,
        eventSourceARN: eventsStreamArn,
        window: {
          start: start.toISOString(),
          end: new Date(start.getTime() + EventsStreamMapping.tumblingWindowSeconds * 1000).toISOString(),
        },
        state: {},
        isFinalInvokeForWindow: false,
        isWindowTerminatedEarly: false,
      };
      await run(shipped('AggregatesAggregate'), streamEvent);
      // The lake writer's own mapping delivers the same inserts, without the tumbling window.
      await run(shipped('LakeWriter'), { Records: records });
      counted += records.length;
    }
    streams.destroy();
    expect(counted).toBeGreaterThanOrEqual(2);

    // The lake: one object per batch and project-day; tomorrow's scheduled compaction folds the day into one file.
    const s3 = new S3Client({ endpoint: sqsEndpoint, region: 'us-east-1', credentials, forcePathStyle: true });
    const lakeKeys = async () =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: LAKE_BUCKET, Prefix: 'events/' }))).Contents ?? []).map((o) => o.Key!);
    const written = await lakeKeys();
    expect(written.length).toBeGreaterThan(0);
    expect(written.every((key) => key.startsWith(`events/project=shipped/dt=${now.toISOString().slice(0, 10)}/batch-`))).toBe(true);
    const tomorrow = new Date(now.getTime() + 86_400_000);
    tomorrow.setUTCHours(1, 30, 0, 0);
    const compaction = await run(shipped('LakeCompaction'), {
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: tomorrow.toISOString(),
    });
    expect(compaction.result).toMatchObject({ days: 1, filesRead: written.length });
    const [compacted, ...others] = await lakeKeys();
    expect(others).toEqual([]);
    expect(compacted).toMatch(/\/compacted-[0-9a-f]{16}\.parquet$/);
    const body = await (await s3.send(new GetObjectCommand({ Bucket: LAKE_BUCKET, Key: compacted }))).Body!.transformToByteArray();
    const rows = await decodeParquet(body);
    expect(rows.map((row) => [row.event, row.value]).sort((a, b) => String(a).localeCompare(String(b)))).toEqual([
      ['$session_start', null],
      ['$session_start', null],
      ['shipped', 2],
      ['shipped', 3],
    ]);
    s3.destroy();

    const { from, to } = dayRange(now);
    const query = await run(
      shipped('IngestApiQuery'),
      apiEvent('GET', '/v1/aggregates', { key: 'shipped-secret-key', query: { event: 'shipped', from, to, granularity: 'day' } }),
    );
    expect(query.result.statusCode).toBe(200);
    const series = JSON.parse(query.result.body).series;
    expect(JSON.stringify(series)).toContain('"count":2');
    expect(JSON.stringify(series)).toContain('"sum":5');

    // Session metrics from the same stored events: two devices, one one-event session each.
    const sessions = await run(
      shipped('IngestApiQuery'),
      apiEvent('GET', '/v1/sessions', { key: 'shipped-secret-key', query: { from, to } }),
    );
    expect(sessions.result.statusCode).toBe(200);
    expect(JSON.parse(sessions.result.body).total).toMatchObject({ sessions: 2, events: 2, bounces: 2, bounceRate: 1 });
  }, 180_000);
});
