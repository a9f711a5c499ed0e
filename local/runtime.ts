/**
 * The whole pipeline on one machine: real engines, resources from the shared definitions, and the
 * Lambda handlers driven the way API Gateway, the SQS event source mapping and the DynamoDB
 * Streams event source mapping drive them on AWS.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  AggregatesTable,
  EnvNames,
  EventsQueue,
  EventsStreamMapping,
  EventsTable,
  KeysTable,
  LakeFunction,
  LakeLayout,
  LakeStreamMapping,
  StateTable,
} from '../resources/index.js';
import { configFromEnv, type TidemarkConfig } from '../lambdas/config.js';
import { createClients, createDocumentClient } from '../lambdas/adapters/clients.js';
import { DynamoKeyStore } from '../lambdas/adapters/key-store.js';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { eventItemKey } from '../lambdas/core/item-keys.js';
import { KeyKind, keyFromHeaders } from '../lambdas/core/keys.js';
import { headersOf } from '../lambdas/http/api.js';
import { aggregateDependencies, createAggregateHandler } from '../lambdas/aggregate/handler.js';
import { createIngestHandler, ingestDependencies, lakeRejections } from '../lambdas/ingest/handler.js';
import { createLakeHandler } from '../lambdas/lake/handler.js';
import { createProcessHandler, processDependencies } from '../lambdas/process/handler.js';
import { createQueryHandler, queryDependencies } from '../lambdas/query/handler.js';
import { AwsCallCounter, type CallCounts } from './aws-calls.js';
import type { HotKeyMeter } from './hot-key-meter.js';
import { startDynamoDbLocal, startSqs, type Engine } from './engines.js';
import { FaultInjector, type FaultPlan } from './faults.js';
import { FileLakeObjects } from './file-lake-objects.js';
import { InvocationStats } from './invocation-stats.js';
import { consoleRoutes } from './console-routes.js';
import { startHttpServer, type LocalApi } from './http-server.js';
import { PipelineStats } from './pipeline-stats.js';
import { createQueues, createTable, type LocalQueues } from './provision.js';
import { QueueJournal } from './queue-journal.js';
import { SqsPoller } from './sqs-poller.js';
import { StreamPoller } from './stream-poller.js';

/** Written to the data directory while the runtime runs; the local twin of the stack outputs. */
export const RUNTIME_FILE = 'runtime.json';
export type RuntimeOutputs = {
  readonly apiUrl: string;
  readonly dynamodbEndpoint?: string;
  readonly sqsEndpoint?: string;
  readonly keysTableName: string;
  readonly eventsTableName: string;
  readonly aggregatesTableName: string;
  readonly eventsQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** Local runtime only: the folder holding the lake (what S3 holds on AWS). */
  readonly lakeDir?: string;
  /** Deployed stack only: the lake's bucket and the Athena workgroup `tidemark sql` runs in. */
  readonly lakeBucketName?: string;
  readonly lakeWorkgroupName?: string;
};

export const DemoProject = { projectId: 'demo', writeKey: 'demo-write-key', secretKey: 'demo-secret-key' } as const;

export type RuntimeOptions = {
  /** 0 picks a free port. */
  readonly port?: number;
  readonly dataDir?: string;
  /** Extra environment for the functions (limits), as `cdk deploy` would set from stack props. */
  readonly functionEnv?: Record<string, string>;
  readonly sqsConcurrency?: number;
  readonly failedVisibilitySeconds?: number;
  readonly streamRetryDelayMs?: number;
  /** Overrides the stream mapping's batching window (tests that want counts fast set it low). */
  readonly streamBatchingWindowMs?: number;
  readonly log?: (line: string) => void;
  /** Seeded fault injection (chaos runs and reliability tests). */
  readonly faults?: FaultPlan;
};

export type Runtime = {
  readonly url: string;
  readonly config: TidemarkConfig;
  readonly queues: LocalQueues;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  /** True when the last stream pass found nothing new. */
  streamIdle(): boolean;
  /** True when the lake writer's last stream pass found nothing new. */
  lakeIdle(): boolean;
  /** The lake's folder (what S3 holds on AWS). */
  readonly lakeDir: string;
  /** AWS requests the handlers made so far. */
  readonly calls: CallCounts;
  /** Write and read units per partition key per second, over every function. */
  readonly hotKeys: HotKeyMeter;
  /** The same, per function (the cost model turns each function's calls into its billed duration). */
  readonly callsByFunction: Record<string, CallCounts>;
  readonly invocations: InvocationStats['byFunction'];
  readonly faults: FaultInjector;
  /**
   * Stops taking requests and waits until the events queue is empty and the stream consumer has
   * caught up, calling `progress` with the messages left about once a second. What is still queued
   * when `stop` is called instead is journaled and processed after the next start.
   */
  drain(progress: (messagesLeft: number) => void): Promise<void>;
  stop(): Promise<void>;
};

/** The data directory's cursor-signing key, made on first start: cursors stay valid across restarts, as on a deployed stack. */
function cursorSecret(dataDir: string): string {
  const file = join(dataDir, 'cursor-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const dataDir = resolve(options.dataDir ?? process.env.TIDEMARK_DATA_DIR ?? '.tidemark');
  mkdirSync(dataDir, { recursive: true });
  const log = options.log ?? (() => undefined);
  const engines: Engine[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  try {
    const [dynamo, sqs] = await Promise.all([startDynamoDbLocal(dataDir), startSqs()]);
    engines.push(dynamo, sqs);
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const dynamoClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
    const sqsClient = new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials });
    const streamsClient = new DynamoDBStreamsClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
    stoppers.push(async () => {
      dynamoClient.destroy();
      sqsClient.destroy();
      streamsClient.destroy();
    });

    const [events, state, aggregates, keys] = await Promise.all(
      [EventsTable, StateTable, AggregatesTable, KeysTable].map((table) => createTable(dynamoClient, table)),
    );
    const queues = await createQueues(sqsClient);
    const journal = new QueueJournal(dataDir, queues, sqs.inspect);
    const restored = await journal.restore(sqsClient);
    if (restored.events + restored.deadLetters > 0) {
      log(`queue: restored ${restored.events} messages to the events queue and ${restored.deadLetters} to the DLQ from the last run`);
    }
    const config = configFromEnv({
      [EnvNames.eventsTable]: events!.name,
      [EnvNames.stateTable]: state!.name,
      [EnvNames.aggregatesTable]: aggregates!.name,
      [EnvNames.keysTable]: keys!.name,
      [EnvNames.eventsQueueUrl]: queues.queueUrl,
      [EnvNames.dynamodbEndpoint]: dynamo.endpoint,
      [EnvNames.sqsEndpoint]: sqs.endpoint,
      [EnvNames.keyCacheSeconds]: '0',
      [EnvNames.cursorSecret]: cursorSecret(dataDir),
      ...options.functionEnv,
    });
    await seedDemoProject(config);

    // One set of clients per function, as each Lambda has its own; counted, and faulty when asked.
    const calls = new AwsCallCounter({ meterHotKeys: true });
    const invocations = new InvocationStats();
    const faults = new FaultInjector(options.faults ?? {});
    const callsByFunction: Record<string, CallCounts> = {};
    const clientsFor = (functionName: string) => {
      const clients = createClients(config);
      const own = new AwsCallCounter();
      callsByFunction[functionName] = own.counts;
      for (const counter of [calls, own]) {
        counter.attach(clients.documents, 'dynamodb');
        counter.attach(clients.sqs, 'sqs');
      }
      faults.attachToSqs(clients.sqs);
      faults.attachToDynamo(clients.documents);
      return clients;
    };
    const stats = new PipelineStats();
    const lakeDir = join(dataDir, LakeLayout.localFolder);
    const lakeObjects = new FileLakeObjects(lakeDir);
    const ingestClients = clientsFor('ingest');
    journal.recordSends(ingestClients.sqs);
    const ingestDeps = { ...ingestDependencies(config, ingestClients), keepRejectedRows: lakeRejections(lakeObjects) };
    const processClients = processDependencies(config, clientsFor('process'));
    // The local pipeline's observers read with a client of their own: their reads are not the functions' and are not counted.
    const observer = createDocumentClient(config);
    stoppers.push(async () => observer.destroy());
    const storedReceivedAt = async (projectId: string, eventId: string) => {
      const { Item } = await observer.send(new GetCommand({ TableName: config.eventsTable!, Key: eventItemKey(projectId, eventId), ProjectionExpression: 'receivedAt' }));
      return typeof Item?.receivedAt === 'string' ? Item.receivedAt : undefined;
    };
    const projectOfKey = async (key: string) => (await ingestDeps.keys.find(key))?.projectId;
    const processDeps = { ...processClients, events: stats.observeStore(processClients.events, storedReceivedAt) };
    const counterStore = aggregateDependencies(config, clientsFor('aggregate'));
    const queryDeps = queryDependencies(config, clientsFor('query'));

    const report = (where: string, message: string) => {
      stats.recordError(where, message);
      log(`${where}: ${message}`);
    };
    const onError = (where: string) => (error: unknown) => report(where, (error as Error)?.message ?? String(error));
    // Lambda's SQS poller is billed like any client: count its receives and deletes too.
    calls.attach(sqsClient, 'sqs');
    const sqsPoller = new SqsPoller({
      client: sqsClient,
      queueUrl: queues.queueUrl,
      queueArn: queues.queueArn,
      handler: invocations.wrap('process', createProcessHandler(() => faults.processInvocation(processDeps))),
      beforeInvoke: (records) => faults.expireVisibility(sqsClient, queues.queueUrl, records),
      concurrency: options.sqsConcurrency ?? 4,
      failedVisibilitySeconds: options.failedVisibilitySeconds ?? 1,
      onError: onError('process'),
      onFailedMessages: (failed, received) => {
        // SQS moves a message to the DLQ once its receive count exceeds maxReceiveCount: one that failed
        // on its last allowed receive is never delivered again (SQS docs, "Using dead-letter queues").
        const last = failed.filter((r) => Number(r.attributes.ApproximateReceiveCount) >= EventsQueue.maxReceiveCount);
        const again = failed.length - last.length;
        if (again > 0) {
          stats.recordError('process', `${again} of ${received} messages failed; SQS delivers them again (a message moves to the DLQ after ${EventsQueue.maxReceiveCount} failed receives)`);
        }
        for (const record of last) {
          report('process', `message ${record.messageId} (group ${record.attributes.MessageGroupId}) failed on its last receive (${record.attributes.ApproximateReceiveCount} of ${EventsQueue.maxReceiveCount}): it is moved to the DLQ, see npm run tidemark -- dlq inspect`);
        }
      },
    });
    const streamPoller = new StreamPoller({
      client: streamsClient,
      streamArn: events!.streamArn!,
      handler: stats.observeAggregate(invocations.wrap('aggregate', createAggregateHandler(() => faults.aggregateInvocation(counterStore)))),
      redelivery: () => faults.streamRedelivery(),
      positionsFile: join(dataDir, 'stream-positions.json'),
      retryDelayMs: options.streamRetryDelayMs ?? 200,
      batchingWindowMs: options.streamBatchingWindowMs ?? EventsStreamMapping.maxBatchingWindowSeconds * 1000,
      onError: onError('aggregate'),
      onDiscard: (records) => log(`aggregate: discarded a batch of ${records.length} records after all retries`),
    });
    // The lake writer: a second, independent mapping on the same stream, with its own positions.
    const lakePoller = new StreamPoller({
      client: streamsClient,
      streamArn: events!.streamArn!,
      handler: invocations.wrap('lake', createLakeHandler(() => lakeObjects)),
      consumer: { functionName: 'lake', timeoutSeconds: LakeFunction.timeoutSeconds, batchSize: LakeStreamMapping.batchSize },
      // The same redelivery faults as the aggregator's: the lake must show each event once whatever the boundaries.
      redelivery: () => faults.streamRedelivery(),
      positionsFile: join(dataDir, 'lake-stream-positions.json'),
      retryDelayMs: options.streamRetryDelayMs ?? 200,
      batchingWindowMs: options.streamBatchingWindowMs ?? LakeStreamMapping.maxBatchingWindowSeconds * 1000,
      onError: onError('lake'),
      onDiscard: (records) => log(`lake: discarded a batch of ${records.length} records after all retries`),
    });
    journal.start();
    // Stoppers run last first: the pollers stop, then the journal takes its final snapshot.
    stoppers.push(() => journal.stop());
    sqsPoller.start();
    streamPoller.start();
    lakePoller.start();
    stoppers.push(() => sqsPoller.stop(), () => streamPoller.stop(), () => lakePoller.stop());

    const ingest = stats.observeIngest(invocations.wrap('ingest', createIngestHandler(() => ingestDeps)), async (event) => {
      const key = keyFromHeaders(headersOf(event));
      return key ? projectOfKey(key) : undefined;
    });
    const query = invocations.wrap('query', createQueryHandler(() => queryDeps));
    const localRoutes = consoleRoutes({
      config: { apiUrl: '', local: true, writeKey: DemoProject.writeKey, secretKey: DemoProject.secretKey },
      stats,
      projectOfKey,
      faults,
      sqs: sqsClient,
      queues,
    });
    const api: LocalApi = await startHttpServer(options.port ?? 3000, { ingest, query }, {
      corsAllowOrigins: config.corsAllowOrigins,
      intercept: async (request) =>
        request.url.pathname === '/health' && !(sqsPoller.running && streamPoller.running && lakePoller.running)
          ? { statusCode: 503, headers: { 'content-type': 'application/json' }, body: '{"status":"starting"}' }
          : localRoutes(request),
    });
    stoppers.push(() => api.close());

    // What the ops CLI reads to find this runtime, the way it reads a deployed stack's outputs.
    const descriptor = join(dataDir, RUNTIME_FILE);
    const outputs: RuntimeOutputs = {
      apiUrl: api.url,
      dynamodbEndpoint: dynamo.endpoint,
      sqsEndpoint: sqs.endpoint,
      keysTableName: config.keysTable!,
      eventsTableName: config.eventsTable!,
      aggregatesTableName: config.aggregatesTable!,
      eventsQueueUrl: queues.queueUrl,
      deadLetterQueueUrl: queues.dlqUrl,
      lakeDir,
    };
    writeFileSync(descriptor, JSON.stringify(outputs, null, 2));
    stoppers.push(async () => rmSync(descriptor, { force: true }));

    return {
      url: api.url,
      config,
      queues,
      dynamodbEndpoint: dynamo.endpoint,
      sqsEndpoint: sqs.endpoint,
      streamIdle: () => streamPoller.idle,
      lakeIdle: () => lakePoller.idle,
      lakeDir,
      calls: calls.counts,
      hotKeys: calls.hotKeys!,
      callsByFunction,
      invocations: invocations.byFunction,
      faults,
      drain: async (progress) => {
        await api.close();
        for (let left = await journal.pending(); left > 0; left = await journal.pending()) {
          progress(left);
          await sleep(1000);
        }
        // The last stored events reach the stream after the queue empties; a bounded wait, since
        // what the consumer has not read yet is read after the next start from its saved position.
        for (let quietPasses = 0, waited = 0; quietPasses < 2 && waited < 10_000; waited += 500) {
          await sleep(500);
          quietPasses = streamPoller.idle ? quietPasses + 1 : 0;
        }
      },
      stop: () => stopAll(stoppers, engines),
    };
  } catch (error) {
    await stopAll(stoppers, engines);
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stopAll(stoppers: (() => Promise<void>)[], engines: Engine[]): Promise<void> {
  for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  await Promise.all(engines.map((engine) => engine.stop().catch(() => undefined)));
}

async function seedDemoProject(config: TidemarkConfig): Promise<void> {
  const documents = createDocumentClient(config);
  try {
    const keys = new DynamoKeyStore(documents, config.keysTable!, 0);
    await keys.create(DemoProject.writeKey, DemoProject.projectId, KeyKind.write);
    await keys.create(DemoProject.secretKey, DemoProject.projectId, KeyKind.secret);
  } finally {
    documents.destroy();
  }
}
