/**
 * Stored events as lake rows: the typed columns of `resources/lake.ts`, the Hive partition an
 * event lands in, and the deterministic object names that make a redelivered stream batch
 * overwrite its own objects instead of adding copies.
 */
import { LakeEventColumns, LakeLayout, LakePartitions } from '../../resources/index.js';
import { dayBucket } from './timestamps.js';
import { decodeStoredJson, isStoredJson } from './stored-json.js';

export type LakeValue = string | number | boolean | Date | null;
export type LakeRow = Readonly<Record<string, LakeValue>>;

/** One project-day of the lake: `events/project=P/dt=D/`. */
export type LakePartition = { readonly projectId: string; readonly day: string };

export type PartitionedRow = LakePartition & { readonly row: LakeRow };

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const time = (value: unknown): Date | null => {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? new Date(ms) : null;
};
/** A stored JSON attribute (stored-json.ts: plain or compressed) as its text; objects of older test images as JSON. */
const jsonText = (value: unknown): string | null => {
  const text = isStoredJson(value) ? decodeStoredJson(value) : value === undefined || value === null ? null : JSON.stringify(value);
  return text === null ? null : wellFormedJson(text);
};

/**
 * In JSON text, an escaped backslash, an escaped surrogate pair, or an escaped surrogate: matched
 * left to right, so a `\ud800` right after an escaped backslash is text, not an escape.
 */
const SURROGATE_ESCAPES = /\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[dD][89a-fA-F][0-9a-fA-F]{2}/g;

/**
 * Lone surrogates, which properties may carry as `\uD800` escapes (DynamoDB keeps them as sent),
 * become `\ufffd` in the lake's JSON text: DuckDB refuses such an escape and fails the whole query
 * that touches the row ("no low surrogate"). Rewritten in the text, never parsed and written
 * again, so nothing else changes (numbers past 2^53 keep every digit).
 */
const wellFormedJson = (text: string): string =>
  text.includes('\\u') ? text.replace(SURROGATE_ESCAPES, (match) => (match.length === 6 ? '\\ufffd' : match)) : text;
const parseJson = (text: string | null): Record<string, unknown> => {
  if (text === null) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};
const member = (object: unknown, name: string): unknown =>
  typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[name] : undefined;

/** A stored item that lacks what every lake row holds: it stays in DynamoDB, and its batch still lands. */
export class UnplaceableEventError extends Error {
  constructor(readonly missing: readonly string[]) {
    super(`a stored event without ${missing.join(', ')} cannot be placed in the lake`);
    this.name = 'UnplaceableEventError';
  }
}

const REQUIRED_COLUMNS = LakeEventColumns.filter((column) => column.required).map((column) => column.name);

/**
 * A stored event (the events table item, as the stream's new image carries it, unmarshalled) as
 * a lake row. The partition day is the corrected event time's UTC day, the same day
 * `/v1/events` and the counters put it in.
 */
export function lakeRowOf(item: Readonly<Record<string, unknown>>): PartitionedRow {
  const propertiesText = jsonText(item.properties);
  const contextText = jsonText(item.context);
  const properties = parseJson(propertiesText);
  const context = parseJson(contextText);
  const timestamp = time(item.timestamp);
  if (typeof item.projectId !== 'string' || typeof item.eventId !== 'string' || timestamp === null) {
    // Named by what is unusable, not only absent: a timestamp that is not a time named nothing.
    const usable = {
      projectId: typeof item.projectId === 'string',
      eventId: typeof item.eventId === 'string',
      timestamp: timestamp !== null,
    };
    throw new UnplaceableEventError(Object.entries(usable).flatMap(([name, ok]) => (ok ? [] : [name])));
  }
  const os = member(context.os, 'name') ?? member(context.userAgentInfo, 'os');
  const row: LakeRow = {
    eventid: item.eventId,
    event: text(item.event),
    deviceid: text(item.deviceId),
    userid: text(item.userId),
    sessionid: text(item.sessionId),
    source: text(item.source),
    value: typeof item.value === 'number' ? item.value : null,
    timestamp,
    // Left out of the item when it equals the corrected time (stored-event-item.ts).
    originaltimestamp: time(item.originalTimestamp ?? item.timestamp),
    receivedat: time(item.receivedAt),
    syncedat: time(properties.__syncedAt),
    library: text(member(context.library, 'name')),
    os: text(os),
    properties: propertiesText ?? '{}',
    context: contextText,
  };
  // A required column left empty would make the whole Parquet file fail to encode.
  const missing = REQUIRED_COLUMNS.filter((name) => row[name] === null || row[name] === undefined);
  if (missing.length > 0) throw new UnplaceableEventError(missing);
  return { projectId: item.projectId, day: dayBucket(timestamp.getTime()), row };
}

/** Rows grouped by partition, in first-seen order. */
export function groupByPartition(rows: readonly PartitionedRow[]): { partition: LakePartition; rows: LakeRow[] }[] {
  const groups = new Map<string, { partition: LakePartition; rows: LakeRow[] }>();
  for (const { projectId, day, row } of rows) {
    const key = partitionPrefix({ projectId, day });
    const group = groups.get(key) ?? { partition: { projectId, day }, rows: [] };
    group.rows.push(row);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * `events/project=P/dt=D/`. Project ids match `PROJECT_ID_PATTERN` (lower-case letters, digits,
 * `_`, `-`), so they are safe in a path and in an S3 key as they are.
 */
export const partitionPrefix = ({ projectId, day }: LakePartition, root: string = LakeLayout.eventsPrefix): string =>
  `${root}/${LakePartitions.project}=${projectId}/${LakePartitions.day}=${day}/`;

/** Reads `…/project=P/dt=D/file` back into its partition and file name. */
export function parseObjectKey(key: string): (LakePartition & { readonly fileName: string }) | undefined {
  const match = /(?:^|\/)project=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/([^/]+)$/.exec(key);
  return match ? { projectId: match[1]!, day: match[2]!, fileName: match[3]! } : undefined;
}

/**
 * The name of a stream batch's object in each partition it touches: its first and last sequence
 * numbers. Lambda retries a failed stream batch from the same first record, so a retry of the same
 * batch writes the same names and overwrites; a redelivery with other boundaries writes other
 * names, and the dedup view and the compaction keep one copy of each event.
 */
export const batchObjectName = (firstSequenceNumber: string, lastSequenceNumber: string): string =>
  `batch-${firstSequenceNumber}-${lastSequenceNumber}.parquet`;

/** First copy of each event id wins; copies of one event are identical (one conditional put, one image). */
export function distinctEvents(rows: Iterable<LakeRow>): LakeRow[] {
  const seen = new Set<string>();
  const distinct: LakeRow[] = [];
  for (const row of rows) {
    const id = String(row.eventid);
    if (seen.has(id)) continue;
    seen.add(id);
    distinct.push(row);
  }
  return distinct;
}

/** A rejected row as the ingest use case saw it: the rejection and the row exactly as sent. */
export type RejectedRowRecord = {
  readonly index: number;
  readonly reason: string;
  readonly error: string;
  readonly retryable: boolean;
  /** When the row was received (for an import that said so, first received), ISO. */
  readonly receivedAt: string;
  /** The `sentAt` of the row's batch, ISO, when it had one: with `receivedAt`, what a replay corrects time by. */
  readonly sentAt?: string;
  readonly requestId: string;
  readonly row: unknown;
  /** The row in Tidemark's own shape, when the route translated it from another protocol (OpenPanel). */
  readonly replayRow?: unknown;
};

/** A rejected row, whole, as a lake row; `row` is the JSON the client sent for it. */
export function rejectionRowOf(rejection: RejectedRowRecord): LakeRow {
  return {
    receivedat: time(rejection.receivedAt),
    requestid: rejection.requestId,
    rowindex: rejection.index,
    reason: rejection.reason,
    error: rejection.error,
    retryable: rejection.retryable,
    row: wholeJson(rejection.row),
    sentat: time(rejection.sentAt),
    replayrow: rejection.replayRow === undefined ? null : wholeJson(rejection.replayRow),
  };
}

function wholeJson(row: unknown): string {
  try {
    return JSON.stringify(row) ?? 'null';
  } catch {
    // Only a row nested deeper than the serializer's stack can get here; the parser took it, so say so.
    return JSON.stringify({ __unserializable: 'nested too deeply to serialize again' });
  }
}

/** `rejections/project=P/dt=D/request-<id>.parquet`: one object per request, by receive day. */
export const rejectionObjectKey = (projectId: string, receivedAt: string, requestId: string): string =>
  `${partitionPrefix({ projectId, day: receivedAt.slice(0, 10) }, LakeLayout.rejectionsPrefix)}request-${encodeURIComponent(requestId)}.parquet`;
