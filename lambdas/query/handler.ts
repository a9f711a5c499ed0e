/**
 * The read API: GET /v1/aggregates, /v1/events, /v1/rejections, /v1/sessions, /v1/devices/{deviceId}
 * and its sessions, /health.
 * Every read takes the project secret key and sees only its own project.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { configFromEnv, required, type TidemarkConfig } from '../config.js';
import { createClients, type AwsClients } from '../adapters/clients.js';
import { DynamoAggregateStore } from '../adapters/aggregate-store.js';
import { DynamoEventStore } from '../adapters/event-store.js';
import { DynamoKeyStore, type KeyStore } from '../adapters/key-store.js';
import { DynamoDeviceStates } from '../adapters/device-states.js';
import { DynamoRejectionStore } from '../adapters/rejection-store.js';
import { DynamoRejectionBudget } from '../adapters/rejection-budget.js';
import { BadRequestError, NotFoundError } from '../core/errors.js';
import { assertKnownParameters } from '../core/query-parameters.js';
import { authenticate, headersOf, json } from '../http/api.js';
import { httpFunction } from '../http/middleware.js';
import { logger } from '../observability.js';
import { Limits, Routes } from '../../resources/index.js';
import type { QueryDependencies } from './ports.js';
import { listDeviceSessions, listEvents, listRejections, readAggregates, readDevice, readSessions, type ReadRequest } from './query.js';

export type QueryHandlerDependencies = QueryDependencies & {
  readonly keys: KeyStore;
  /** Resolves when the stores answer; throws when they do not. */
  readonly ping: () => Promise<void>;
};

type Route = (request: ReadRequest, event: APIGatewayProxyEvent, deps: QueryDependencies) => Promise<unknown>;

const deviceOf = (event: APIGatewayProxyEvent) => decodePathPart(event.pathParameters?.deviceId ?? '');

const routes: Record<string, Route> = {
  '/v1/aggregates': (request, _event, deps) => readAggregates(request, deps),
  '/v1/events': (request, _event, deps) => listEvents(request, deps),
  '/v1/rejections': (request, _event, deps) => listRejections(request, deps),
  '/v1/sessions': (request, _event, deps) => readSessions(request, deps),
  '/v1/devices/{deviceId}': (request, event, deps) => readDevice({ ...request, deviceId: deviceOf(event) }, deps),
  '/v1/devices/{deviceId}/sessions': (request, event, deps) => listDeviceSessions({ ...request, deviceId: deviceOf(event) }, deps),
};

const queryParametersOf: Record<string, readonly string[]> = Object.fromEntries(
  Routes.filter((route) => route.function === 'query').map((route) => [route.path, 'query' in route ? route.query : []]),
);

/** A path parameter as sent, percent-decoded; a malformed escape is the client's error, not a 500. */
function decodePathPart(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new BadRequestError('The device id in the path is not valid percent-encoding.', 'invalid_parameter');
  }
}

export function createQueryHandler(dependencies: () => QueryHandlerDependencies) {
  return httpFunction(async (event) => {
    const deps = dependencies();
    const resource = event.resource ?? event.path;
    if (resource === '/health') {
      await deps.ping();
      return json(200, { status: 'ok' });
    }
    const route = routes[resource];
    if (!route) throw new NotFoundError(`No route ${event.httpMethod} ${event.path}.`);
    const project = await authenticate(headersOf(event), 'read', deps.keys);
    logger.appendKeys({ projectId: project.projectId });
    const params = event.queryStringParameters ?? {};
    assertKnownParameters(params, queryParametersOf[resource] ?? []);
    const request = { projectId: project.projectId, params, nowMs: Date.now() };
    return json(200, await route(request, event, deps));
  });
}

export function queryDependencies(config: TidemarkConfig, clients: AwsClients = createClients(config)): QueryHandlerDependencies {
  const { documents } = clients;
  return {
    keys: new DynamoKeyStore(documents, required(config, 'keysTable'), config.keyCacheSeconds * 1000),
    aggregates: new DynamoAggregateStore(documents, required(config, 'aggregatesTable')),
    events: new DynamoEventStore(documents, required(config, 'eventsTable'), config.eventRetentionDays),
    rejections: new DynamoRejectionStore(documents, required(config, 'stateTable')),
    rejectionBudget: new DynamoRejectionBudget(documents, required(config, 'stateTable'), Limits.rejectionRetentionDays, 0),
    devices: new DynamoDeviceStates(documents, required(config, 'stateTable')),
    cursorSecret: required(config, 'cursorSecret'),
    // An uncached lookup, so /health really reaches DynamoDB.
    ping: async () => {
      await new DynamoKeyStore(documents, required(config, 'keysTable'), 0).find('health-check-probe');
    },
  };
}

let cached: QueryHandlerDependencies | undefined;
export const handler = createQueryHandler(() => (cached ??= queryDependencies(configFromEnv(process.env))));
