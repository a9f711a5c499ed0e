/**
 * The read API's use cases: counters, listings with signed cursors, a device's state and sessions.
 * Each reads one project's data (the caller authenticated it) through the ports.
 */
import { Limits, ReadApi } from '../../resources/index.js';
import { parseAggregateQuery } from '../core/aggregate-query.js';
import { openCursor, signCursor, type CursorBinding } from '../core/cursor.js';
import { dayCursorWithin, type DayCursor } from '../core/day-range.js';
import type {
  AggregatesAnswer,
  DeviceSession,
  DeviceSessionsAnswer,
  DeviceState,
  EventAnswer,
  Page,
  RejectionsAnswer,
} from '../../resources/api-answers.js';
import { addToSessions, newestFirst } from '../core/device-sessions.js';
import { NotFoundError } from '../core/errors.js';
import { parseListQuery, type ListQuery } from '../core/list-query.js';
import { parseSessionQuery } from '../core/session-metrics.js';
import { daysOfRange } from '../core/timestamps.js';
import type { QueryDependencies } from './ports.js';
import { aggregateSeries } from './aggregates.js';
import { sessionMetrics } from './sessions.js';

export type ReadRequest = {
  readonly projectId: string;
  readonly params: Readonly<Record<string, string | undefined>>;
  /** The request's time: ranges without `to` end now. */
  readonly nowMs: number;
};

export type DeviceRequest = ReadRequest & { readonly deviceId: string };

/** A listing's range and its cursor, opened and checked against this query (else 400 `invalid_cursor`). */
function listing(list: ListQuery, binding: CursorBinding, secret: string, sortKey: string) {
  const { cursor, ...range } = list;
  if (cursor === undefined) return range;
  return { ...range, cursor: dayCursorWithin(range, openCursor(secret, binding, cursor), sortKey) };
}

const nextCursor = (secret: string, binding: CursorBinding, position: DayCursor | undefined) =>
  position ? signCursor(secret, binding, position) : null;

export async function readAggregates({ projectId, params }: ReadRequest, deps: QueryDependencies): Promise<AggregatesAnswer> {
  const query = parseAggregateQuery(projectId, params);
  return {
    granularity: query.granularity,
    from: new Date(query.fromMs).toISOString(),
    to: new Date(query.toMs).toISOString(),
    series: await aggregateSeries(query, deps.aggregates),
  };
}

export async function listEvents({ projectId, params, nowMs }: ReadRequest, deps: QueryDependencies): Promise<Page<'events', EventAnswer>> {
  const filters = { event: params.event || undefined, deviceId: params.deviceId || undefined, source: params.source || undefined };
  const binding = { route: '/v1/events', projectId, filters };
  const list = listing(parseListQuery(params, nowMs), binding, deps.cursorSecret, 'listSk');
  const read = (limit: number) =>
    deps.events.list({
      projectId,
      ...list,
      limit,
      ...(filters.event ? { event: filters.event } : {}),
      ...(filters.deviceId ? { deviceId: filters.deviceId } : {}),
      ...(filters.source ? { source: filters.source } : {}),
    });
  const page = await read(list.limit);
  const fitting = eventsFitting(page.events, Limits.maxResponseBytes);
  // Rare (large events): read the page again, shorter, so the store hands back the cursor that follows it.
  const answered = fitting < page.events.length ? await read(fitting) : page;
  return { events: answered.events, nextCursor: nextCursor(deps.cursorSecret, binding, answered.nextCursor) };
}

export async function listRejections({ projectId, params, nowMs }: ReadRequest, deps: QueryDependencies): Promise<RejectionsAnswer> {
  const binding = { route: '/v1/rejections', projectId, filters: {} };
  const list = listing(parseListQuery(params, nowMs), binding, deps.cursorSecret, 'sk');
  const [page, notKept] = await Promise.all([
    deps.rejections.listRejections(projectId, list),
    deps.rejectionBudget.notKept(projectId, daysOfRange(list.fromMs, list.toMs)),
  ]);
  return { rejections: page.rows, nextCursor: nextCursor(deps.cursorSecret, binding, page.nextCursor), notKept };
}

export const readSessions = ({ projectId, params, nowMs }: ReadRequest, deps: QueryDependencies) =>
  sessionMetrics(projectId, parseSessionQuery(params, nowMs), deps.events);

export async function readDevice({ projectId, deviceId }: DeviceRequest, deps: QueryDependencies): Promise<DeviceState> {
  const device = await deps.devices.getDevice(projectId, deviceId);
  if (!device) throw new NotFoundError(`No live state for device '${deviceId.slice(0, 128)}'.`);
  return device;
}

/**
 * A device's sessions in the range, from its events. Each call reads at most `ReadApi.deviceSessionEventsPerCall`
 * events; `nextCursor` says there is more, and the sessions of the next call merge with these by id.
 */
export async function listDeviceSessions(
  { projectId, params, nowMs, deviceId }: DeviceRequest,
  deps: QueryDependencies,
): Promise<DeviceSessionsAnswer> {
  const binding = { route: '/v1/devices/{deviceId}/sessions', projectId, filters: { deviceId } };
  const range = listing(parseListQuery(params, nowMs), binding, deps.cursorSecret, 'listSk');
  const sessions = new Map<string, DeviceSession>();
  let position = 'cursor' in range ? range.cursor : undefined;
  let read = 0;
  do {
    const page = await deps.events.list({
      projectId,
      fromMs: range.fromMs,
      toMs: range.toMs,
      ...(position ? { cursor: position } : {}),
      limit: ReadApi.maxListLimit,
      deviceId,
    });
    addToSessions(sessions, page.events);
    read += page.events.length;
    position = page.nextCursor;
  } while (position && read < ReadApi.deviceSessionEventsPerCall);
  return { deviceId, sessions: newestFirst(sessions.values()), nextCursor: nextCursor(deps.cursorSecret, binding, position) };
}

/** How many of the events, from the first, fit in a response of `maxBytes` (at least one, so paging always advances). */
function eventsFitting(events: readonly unknown[], maxBytes: number): number {
  let bytes = 0;
  for (const [i, stored] of events.entries()) {
    bytes += Buffer.byteLength(JSON.stringify(stored)) + 1;
    if (bytes > maxBytes) return Math.max(1, i);
  }
  return events.length;
}
