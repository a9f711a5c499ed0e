/**
 * Provisioning the local runtime: the engines (DynamoDB Local, fauxqs), their clients, the tables
 * and queues from the shared definitions, the queue journal restored from the last run, the
 * functions' configuration, and the demo project's keys.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient } from '../lambdas/adapters/clients.js';
import { DynamoKeyStore } from '../lambdas/adapters/key-store.js';
import { configFromEnv, type TidemarkConfig } from '../lambdas/config.js';
import { KeyKind } from '../lambdas/core/keys.js';
import { AggregatesTable, EnvNames, EventsTable, KeysTable, StateTable } from '../resources/index.js';
import { type Engine, startDynamoDbLocal, startSqs } from './engines.js';
import { createQueues, createTable, type LocalQueues } from './provision.js';
import { QueueJournal } from './queue-journal.js';

export const DemoProject = { projectId: 'demo', writeKey: 'demo-write-key', secretKey: 'demo-secret-key' } as const;

export type Provisioned = {
  readonly dynamo: Engine;
  readonly sqs: Engine;
  /** The runtime's own clients (pollers, console routes); each function gets its own, see function-wiring.ts. */
  readonly sqsClient: SQSClient;
  readonly streamsClient: DynamoDBStreamsClient;
  readonly eventsStreamArn: string;
  readonly queues: LocalQueues;
  readonly journal: QueueJournal;
  readonly config: TidemarkConfig;
};

/**
 * Starts the engines and creates what the stack would. Engines and clients are handed to
 * `engines` and `stoppers` as soon as they exist, so a failure half-way still stops them.
 */
export async function provision(
  dataDir: string,
  functionEnv: Record<string, string> | undefined,
  log: (line: string) => void,
  engines: Engine[],
  stoppers: (() => Promise<void>)[],
): Promise<Provisioned> {
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
    ...functionEnv,
  });
  await seedDemoProject(config);
  return { dynamo, sqs, sqsClient, streamsClient, eventsStreamArn: events!.streamArn!, queues, journal, config };
}

/** The data directory's cursor-signing key, made on first start: cursors stay valid across restarts, as on a deployed stack. */
function cursorSecret(dataDir: string): string {
  const file = join(dataDir, 'cursor-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
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
