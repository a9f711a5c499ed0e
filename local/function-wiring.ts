/**
 * Function wiring: the six Lambda handlers built the way each Lambda builds its own, each with
 * its own AWS clients, counted (for the cost model) and faulty when the fault plan asks, wrapped
 * in the invocation stats and the console's pipeline observers.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createClients, createDocumentClient } from '../lambdas/adapters/clients.js';
import { aggregateDependencies, createAggregateHandler } from '../lambdas/aggregate/handler.js';
import type { TidemarkConfig } from '../lambdas/config.js';
import { eventItemKey } from '../lambdas/core/item-keys.js';
import { keyFromHeaders } from '../lambdas/core/keys.js';
import { headersOf } from '../lambdas/http/api.js';
import { createIngestHandler, ingestDependencies, lakeRejections } from '../lambdas/ingest/handler.js';
import { createCompactionHandler } from '../lambdas/lake/compaction-handler.js';
import { createLakeHandler } from '../lambdas/lake/handler.js';
import { createProcessHandler, processDependencies } from '../lambdas/process/handler.js';
import { createQueryHandler, queryDependencies } from '../lambdas/query/handler.js';
import { AwsCallCounter, type CallCounts } from './aws-calls.js';
import type { FaultInjector } from './faults.js';
import { FileLakeObjects } from './file-lake-objects.js';
import { InvocationStats } from './invocation-stats.js';
import type { LambdaHandler } from './invoke.js';
import { PipelineStats } from './pipeline-stats.js';
import type { QueueJournal } from './queue-journal.js';

export type WiredFunctions = {
  readonly ingest: LambdaHandler<APIGatewayProxyEvent, APIGatewayProxyResult>;
  readonly query: LambdaHandler<APIGatewayProxyEvent, APIGatewayProxyResult>;
  // biome-ignore lint/suspicious/noConfusingVoidType: the return type of @types/aws-lambda's SQSHandler
  readonly process: LambdaHandler<SQSEvent, SQSBatchResponse | void>;
  readonly aggregate: LambdaHandler<DynamoDBStreamEvent, unknown>;
  readonly lake: LambdaHandler<DynamoDBStreamEvent, unknown>;
  /** The lake's daily compaction, run by the local schedule (`local/daily-schedule.ts`). */
  readonly compaction: LambdaHandler<{ time: string }, unknown>;
  /** AWS requests all functions made, and the same per function. */
  readonly calls: AwsCallCounter;
  readonly callsByFunction: Record<string, CallCounts>;
  readonly invocations: InvocationStats;
  readonly stats: PipelineStats;
  readonly projectOfKey: (key: string) => Promise<string | undefined>;
};

export function wireFunctions(
  config: TidemarkConfig,
  faults: FaultInjector,
  journal: QueueJournal,
  lakeDir: string,
  stoppers: (() => Promise<void>)[],
): WiredFunctions {
  // One set of clients per function, as each Lambda has its own; counted, and faulty when asked.
  const calls = new AwsCallCounter({ meterHotKeys: true });
  const invocations = new InvocationStats();
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
  const lakeObjects = new FileLakeObjects(lakeDir);
  const ingestClients = clientsFor('ingest');
  journal.recordSends(ingestClients.sqs);
  const ingestDeps = { ...ingestDependencies(config, ingestClients), keepRejectedRows: lakeRejections(lakeObjects) };
  const processClients = processDependencies(config, clientsFor('process'));
  // The local pipeline's observers read with a client of their own: their reads are not the functions' and are not counted.
  const observer = createDocumentClient(config);
  stoppers.push(async () => observer.destroy());
  const storedReceivedAt = async (projectId: string, eventId: string) => {
    const { Item } = await observer.send(
      new GetCommand({ TableName: config.eventsTable!, Key: eventItemKey(projectId, eventId), ProjectionExpression: 'receivedAt' }),
    );
    return typeof Item?.receivedAt === 'string' ? Item.receivedAt : undefined;
  };
  const projectOfKey = async (key: string) => (await ingestDeps.keys.find(key))?.projectId;
  const processDeps = { ...processClients, events: stats.observeStore(processClients.events, storedReceivedAt) };
  const counterStore = aggregateDependencies(config, clientsFor('aggregate'));
  const queryDeps = queryDependencies(config, clientsFor('query'));

  return {
    ingest: stats.observeIngest(
      invocations.wrap(
        'ingest',
        createIngestHandler(() => ingestDeps),
      ),
      async (event) => {
        const key = keyFromHeaders(headersOf(event));
        return key ? projectOfKey(key) : undefined;
      },
    ),
    query: invocations.wrap(
      'query',
      createQueryHandler(() => queryDeps),
    ),
    process: invocations.wrap(
      'process',
      createProcessHandler(() => faults.processInvocation(processDeps)),
    ),
    aggregate: stats.observeAggregate(
      invocations.wrap(
        'aggregate',
        createAggregateHandler(() => faults.aggregateInvocation(counterStore)),
      ),
    ),
    lake: invocations.wrap(
      'lake',
      createLakeHandler(() => lakeObjects),
    ),
    compaction: invocations.wrap(
      'compaction',
      createCompactionHandler(() => lakeObjects),
    ),
    calls,
    callsByFunction,
    invocations,
    stats,
    projectOfKey,
  };
}
