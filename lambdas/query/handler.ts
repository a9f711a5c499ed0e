/**
 * The read API: GET /v1/aggregates, /v1/events, /v1/rejections, /v1/sessions, /v1/devices/{deviceId}
 * and its sessions, /health.
 * Every read takes the project secret key and sees only its own project.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { configFromEnv, required, type TidemarkConfig } from '../config.js';
import { createClients, type AwsClients } from '../adapters/clients.js';
import { DynamoAggregateStore } from '../adapters/aggregate-store.js';
import { dayCursorWithin } from '../adapters/day-pages.js';
import { DynamoEventStore } from '../adapters/event-store.js';
import { DynamoKeyStore, type KeyStore } from '../adapters/key-store.js';
import { DynamoStateStore } from '../adapters/state-store.js';
import { DynamoRejectionBudget } from '../adapters/rejection-budget.js';
import { parseAggregateQuery } from '../core/aggregate-query.js';
import { openCursor, signCursor, type CursorBinding } from '../core/cursor.js';
import { addToSessions, newestFirst, type SessionSummary } from '../core/device-sessions.js';
import { BadRequestError, NotFoundError } from '../core/errors.js';
import { MAX_LIST_LIMIT, parseListQuery, type ListQuery } from '../core/list-query.js';
import { authenticate, headersOf, json } from '../http/api.js';
import { httpFunction } from '../http/middleware.js';
import { logger } from '../observability.js';
import { parseSessionQuery } from '../core/session-metrics.js';
import { daysOfRange } from '../core/timestamps.js';
import { sessionMetrics } from './sessions.js';
import { aggregateSeries } from './aggregates.js';
import { Limits } from '../../resources/index.js';

export type QueryDependencies = {
  readonly keys: KeyStore;
  readonly aggregates: DynamoAggregateStore;
  readonly events: DynamoEventStore;
  readonly state: DynamoStateStore;
  /** Counts of rejected rows not kept past a project's daily cap. */
  readonly rejectionBudget: Pick<DynamoRejectionBudget, 'notKept'>;
  /** Signs listing cursors (`EnvNames.cursorSecret`). */
  readonly cursorSecret: string;
  /** Resolves when the stores answer; throws when they do not. */
  readonly ping: () => Promise<void>;
};

type Route = (event: APIGatewayProxyEvent, projectId: string, deps: QueryDependencies) => Promise<APIGatewayProxyResult>;

const params = (event: APIGatewayProxyEvent) => event.queryStringParameters ?? {};

/** A listing's range and its cursor, opened and checked against this query (else 400 `invalid_cursor`). */
function listing(list: ListQuery, binding: CursorBinding, secret: string, sortKey: string) {
  const { cursor, ...range } = list;
  if (cursor === undefined) return range;
  return { ...range, cursor: dayCursorWithin(range, openCursor(secret, binding, cursor), sortKey) };
}

const routes: Record<string, Route> = {
  '/v1/aggregates': async (event, projectId, deps) => {
    const query = parseAggregateQuery(projectId, params(event));
    return json(200, {
      granularity: query.granularity,
      from: new Date(query.fromMs).toISOString(),
      to: new Date(query.toMs).toISOString(),
      series: await aggregateSeries(query, deps.aggregates),
    });
  },
  '/v1/events': async (event, projectId, deps) => {
    const { event: name, deviceId, source } = params(event);
    const filters = { event: name || undefined, deviceId: deviceId || undefined, source: source || undefined };
    const binding = { route: '/v1/events', projectId, filters };
    const list = listing(parseListQuery(params(event), Date.now()), binding, deps.cursorSecret, 'listSk');
    const read = (limit: number) =>
      deps.events.list({
        projectId,
        ...list,
        limit,
        ...(name ? { event: name } : {}),
        ...(deviceId ? { deviceId } : {}),
        ...(source ? { source } : {}),
      });
    const body = (page: Awaited<ReturnType<typeof read>>) => ({
      events: page.events,
      nextCursor: page.nextCursor ? signCursor(deps.cursorSecret, binding, page.nextCursor) : null,
    });
    const page = await read(list.limit);
    const fitting = eventsFitting(page.events, Limits.maxResponseBytes);
    // Rare (large events): read the page again, shorter, so the store hands back the cursor that follows it.
    return json(200, body(fitting < page.events.length ? await read(fitting) : page));
  },
  '/v1/rejections': async (event, projectId, deps) => {
    const binding = { route: '/v1/rejections', projectId, filters: {} };
    const list = listing(parseListQuery(params(event), Date.now()), binding, deps.cursorSecret, 'sk');
    const [page, notKept] = await Promise.all([
      deps.state.listRejections(projectId, list),
      deps.rejectionBudget.notKept(projectId, daysOfRange(list.fromMs, list.toMs)),
    ]);
    return json(200, { rejections: page.rows, nextCursor: page.nextCursor ? signCursor(deps.cursorSecret, binding, page.nextCursor) : null, notKept });
  },
  '/v1/sessions': async (event, projectId, deps) => json(200, await sessionMetrics(projectId, parseSessionQuery(params(event), Date.now()), deps.events)),
  '/v1/devices/{deviceId}': async (event, projectId, deps) => {
    const deviceId = event.pathParameters?.deviceId ?? '';
    const device = await deps.state.getDevice(projectId, decodePathPart(deviceId));
    if (!device) throw new NotFoundError(`No live state for device '${deviceId.slice(0, 128)}'.`);
    return json(200, device);
  },
  '/v1/devices/{deviceId}/sessions': async (event, projectId, deps) => {
    const deviceId = decodePathPart(event.pathParameters?.deviceId ?? '');
    const binding = { route: '/v1/devices/{deviceId}/sessions', projectId, filters: { deviceId } };
    const range = listing(parseListQuery(params(event), Date.now()), binding, deps.cursorSecret, 'listSk');
    // Each call reads at most this many events, so a busy device cannot run the function out of time;
    // `nextCursor` says there is more, and the sessions of the next call merge with these by id.
    const sessions = new Map<string, SessionSummary>();
    let position = 'cursor' in range ? range.cursor : undefined;
    let read = 0;
    do {
      const page = await deps.events.list({ projectId, fromMs: range.fromMs, toMs: range.toMs, ...(position ? { cursor: position } : {}), limit: MAX_LIST_LIMIT, deviceId });
      addToSessions(sessions, page.events);
      read += page.events.length;
      position = page.nextCursor;
    } while (position && read < SESSION_EVENTS_PER_CALL);
    return json(200, { deviceId, sessions: newestFirst(sessions.values()), nextCursor: position ? signCursor(deps.cursorSecret, binding, position) : null });
  },
};

const SESSION_EVENTS_PER_CALL = 10_000;

/** How many of the events, from the first, fit in a response of `maxBytes` (at least one, so paging always advances). */
function eventsFitting(events: readonly unknown[], maxBytes: number): number {
  let bytes = 0;
  for (const [i, stored] of events.entries()) {
    bytes += Buffer.byteLength(JSON.stringify(stored)) + 1;
    if (bytes > maxBytes) return Math.max(1, i);
  }
  return events.length;
}

/** A path parameter as sent, percent-decoded; a malformed escape is the client's error, not a 500. */
function decodePathPart(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new BadRequestError('The device id in the path is not valid percent-encoding.', 'invalid_parameter');
  }
}

export function createQueryHandler(dependencies: () => QueryDependencies) {
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
    return route(event, project.projectId, deps);
  });
}

export function queryDependencies(config: TidemarkConfig, clients: AwsClients = createClients(config)): QueryDependencies {
  const { documents } = clients;
  const keys = new DynamoKeyStore(documents, required(config, 'keysTable'), config.keyCacheSeconds * 1000);
  return {
    keys,
    aggregates: new DynamoAggregateStore(documents, required(config, 'aggregatesTable')),
    events: new DynamoEventStore(documents, required(config, 'eventsTable'), config.eventRetentionDays),
    state: new DynamoStateStore(documents, required(config, 'stateTable')),
    rejectionBudget: new DynamoRejectionBudget(documents, required(config, 'stateTable'), Limits.rejectionRetentionDays, 0),
    cursorSecret: required(config, 'cursorSecret'),
    // An uncached lookup, so /health really reaches DynamoDB.
    ping: async () => {
      await new DynamoKeyStore(documents, required(config, 'keysTable'), 0).find('health-check-probe');
    },
  };
}

let cached: QueryDependencies | undefined;
export const handler = createQueryHandler(() => (cached ??= queryDependencies(configFromEnv(process.env))));
