/**
 * Turns one row of whatever schema a client sent into a `NormalizedEvent`, or a rejection that
 * says why. Never throws: a bad row must not fail the rows beside it.
 */
import { z } from 'zod';
import { deriveEventId } from './event-id.js';
import { isCanonicalIso, parseTimestamp, toIso } from './timestamps.js';
import type { IngestMode, Json, JsonObject, NormalizedEvent, Rejection } from './types.js';
import { RejectionReason } from './types.js';

export type NormalizeContext = {
  readonly mode: IngestMode;
  /** Server receive time, epoch ms. */
  readonly receivedAt: number;
  /** The batch's `sentAt`, epoch ms, when the client sent one. */
  readonly sentAt?: number;
  readonly maxEventAgeDays: number;
  readonly futureToleranceMs: number;
  readonly skewThresholdMs: number;
  readonly maxEventBytes: number;
  /** The request's User-Agent, kept in `context.userAgent` when the row carries none. */
  readonly userAgent?: string;
};

export type NormalizeResult =
  | { readonly ok: true; readonly event: NormalizedEvent; readonly json: string; readonly bytes: number; readonly clamped: boolean }
  | { readonly ok: false; readonly rejection: Rejection };

/** Each canonical field and the names clients send it under, in order of preference. */
export const FieldAliases = {
  event: ['event', 'name', 'metric', 'event_type', 'eventType', 'type'],
  deviceId: ['deviceId', 'device_id', 'anonymousId', 'anonymous_id', 'context.device.id', '__deviceId'],
  userId: ['userId', 'user_id', 'profileId'],
  source: ['source', 'client_id', 'clientId', 'client', 'origin'],
  value: ['value', 'amount', 'count', 'quantity', 'total', 'price', 'revenue'],
  timestamp: [
    'timestamp',
    'time',
    'ts',
    'date',
    'created_at',
    'createdAt',
    '__timestamp',
    'originalTimestamp',
  ],
  eventId: ['eventId', 'event_id', 'messageId', 'insertId', 'insert_id', '$insert_id', 'uuid', 'id'],
  sessionId: ['sessionId', 'session_id', '$session_id'],
  properties: ['properties', 'params', 'event_properties'],
} as const;
type CanonicalField = keyof typeof FieldAliases;

/** Segment and RudderStack message types; `alias` and `group` have no meaning for event counting. */
const SegmentTypes = new Set(['track', 'screen', 'page', 'identify', 'alias', 'group']);
const UnsupportedSegmentTypes = new Set(['alias', 'group']);

/** Envelope keys that are neither canonical fields nor properties. */
const EnvelopeKeys = new Set(['payload', 'context', 'sentAt', 'sent_at', 'integrations', 'receivedAt', 'writeKey']);

const MAX_NAME = 256;
const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const text = z.string().min(1, 'must not be empty').max(MAX_NAME, `must be at most ${MAX_NAME} characters`);

/** The canonical shape, checked after `coerce` has turned numbers into names and numeric strings into numbers. */
const CanonicalRow = z.object({
  event: text,
  deviceId: text,
  userId: text.optional(),
  sessionId: text.optional(),
  source: text.optional(),
  eventId: text.optional(),
  // DynamoDB numbers span ±1e125 with 38 significant digits; a value outside could never be stored.
  value: z
    .number('must be a number')
    .finite('must be a finite number')
    .refine((n) => n === 0 || (Math.abs(n) < 1e125 && Math.abs(n) > 1e-125), 'must be 0 or between 1e-125 and 1e125 in magnitude')
    .optional(),
  properties: z.custom<JsonObject>(isObject, 'must be an object'),
});

const TEXT_FIELDS = ['event', 'deviceId', 'userId', 'sessionId', 'source', 'eventId'] as const;

/** What clients send loosely and mean plainly: `404` as an event name, `"12.50"` as a value. */
function coerce(fields: Record<string, unknown>): Record<string, unknown> {
  for (const field of TEXT_FIELDS) {
    const value = fields[field];
    if (typeof value === 'number' && Number.isFinite(value)) fields[field] = String(value);
    else if (typeof value === 'string') fields[field] = value.trim();
  }
  if (typeof fields.value === 'string' && NUMERIC.test(fields.value.trim())) fields.value = Number(fields.value);
  return fields;
}

export function normalizeRow(row: unknown, index: number, ctx: NormalizeContext): NormalizeResult {
  try {
    return normalizeObject(row, index, ctx);
  } catch (error) {
    // Only nesting deep enough to exhaust the stack gets here: a row, not the batch, is at fault.
    if (!(error instanceof RangeError)) throw error;
    return { ok: false, rejection: { index, reason: RejectionReason.validation, error: 'row is nested too deeply', retryable: false } };
  }
}

function normalizeObject(row: unknown, index: number, ctx: NormalizeContext): NormalizeResult {
  const reject = (reason: RejectionReason, error: string): NormalizeResult => ({
    ok: false,
    rejection: { index, reason, error, retryable: false },
  });

  if (!isObject(row)) return reject(RejectionReason.validation, 'row must be a JSON object');

  const messageType = typeof row.type === 'string' && SegmentTypes.has(row.type) ? row.type : undefined;
  if (messageType && UnsupportedSegmentTypes.has(messageType)) {
    return reject(RejectionReason.unsupported, `message type '${messageType}' is not supported; send track, screen, page or identify`);
  }

  const candidate = messageType ? fromSegmentMessage(row, messageType) : fromNativeRow(row);
  const parsed = CanonicalRow.safeParse(coerce(candidate.fields));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return reject(RejectionReason.validation, issue ? `${issue.path.join('.') || 'row'}: ${issue.message}` : 'invalid row');
  }

  const originalMs = candidate.timestamp === undefined ? ctx.receivedAt : parseTimestamp(candidate.timestamp);
  if (originalMs === undefined) {
    return reject(RejectionReason.validation, `timestamp: cannot read ${JSON.stringify(candidate.timestamp).slice(0, 64)} as a time`);
  }
  const sentAt = parseTimestamp(row.sentAt) ?? ctx.sentAt;
  const time = correctTime(originalMs, candidate.timestamp !== undefined ? sentAt : undefined, ctx);
  if (ctx.mode !== 'import' && time.correctedMs < ctx.receivedAt - ctx.maxEventAgeDays * 86_400_000) {
    return reject(
      RejectionReason.tooOld,
      `event time ${toIso(time.correctedMs)} is older than ${ctx.maxEventAgeDays} days (maxEventAgeDays); use /v1/import for backfills`,
    );
  }

  const fields = parsed.data;
  const properties = fields.properties as JsonObject;
  // Most SDKs already send the canonical form; reuse it rather than format it again.
  const originalIso = typeof candidate.timestamp === 'string' && isCanonicalIso(candidate.timestamp) ? candidate.timestamp : toIso(originalMs);
  const event: NormalizedEvent = {
    eventId:
      fields.eventId ??
      deriveEventId({ ...fields, properties, originalTimestampMs: originalMs }),
    event: fields.event,
    deviceId: fields.deviceId,
    timestamp: time.correctedMs === originalMs ? originalIso : toIso(time.correctedMs),
    originalTimestamp: originalIso,
    receivedAt: receivedIso(ctx.receivedAt),
    properties,
  };
  if (fields.userId !== undefined) event.userId = fields.userId;
  if (fields.sessionId !== undefined) event.sessionId = fields.sessionId;
  if (fields.source !== undefined) event.source = fields.source;
  if (fields.value !== undefined) event.value = fields.value;
  const context = contextOf(row, ctx.userAgent);
  if (context) event.context = context;
  // The size limit applies to the event as stored and queued; its JSON is reused for packing.
  const json = JSON.stringify(event);
  const bytes = Buffer.byteLength(json);
  if (bytes > ctx.maxEventBytes) {
    return reject(RejectionReason.tooLarge, `event is ${bytes} bytes; the limit is ${ctx.maxEventBytes} (maxEventBytes)`);
  }
  return { ok: true, event, json, bytes, clamped: time.clamped };
}

/** Segment's clock-skew correction, then the clamp of far-future times to receive time. */
function correctTime(originalMs: number, sentAtMs: number | undefined, ctx: NormalizeContext) {
  let correctedMs = originalMs;
  if (sentAtMs !== undefined) {
    const skew = ctx.receivedAt - sentAtMs;
    if (Math.abs(skew) > ctx.skewThresholdMs) correctedMs = originalMs + skew;
  }
  const clamped = correctedMs > ctx.receivedAt + ctx.futureToleranceMs;
  return { correctedMs: clamped ? ctx.receivedAt : correctedMs, clamped };
}

type Candidate = { fields: Record<string, unknown>; timestamp: unknown };
type Resolved = Partial<Record<CanonicalField, Json>>;

/** alias → [canonical field, preference]; one pass over a row's keys finds every field. */
const AliasIndex = new Map<string, [CanonicalField, number]>();
for (const [field, aliases] of Object.entries(FieldAliases) as [CanonicalField, readonly string[]][]) {
  aliases.forEach((alias, rank) => {
    if (!alias.includes('.')) AliasIndex.set(alias, [field, rank]);
  });
}
const DEVICE_ID_PATH_RANK = FieldAliases.deviceId.indexOf('context.device.id');

/** The value of each canonical field in `object`, by its most preferred alias present (not null or ''). */
function resolveAliases(object: JsonObject): Resolved {
  const resolved: Resolved = {};
  const ranks: Partial<Record<CanonicalField, number>> = {};
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const alias = AliasIndex.get(key);
    if (!alias) continue;
    const value = object[key];
    if (value === undefined || value === null || value === '') continue;
    const [field, rank] = alias;
    if (ranks[field] === undefined || rank < ranks[field]!) {
      ranks[field] = rank;
      resolved[field] = value;
    }
  }
  const deviceId = dig(object, ['context', 'device', 'id']);
  if (deviceId !== undefined && deviceId !== null && deviceId !== '' && (ranks.deviceId === undefined || DEVICE_ID_PATH_RANK < ranks.deviceId)) {
    resolved.deviceId = deviceId;
  }
  return resolved;
}

function fromNativeRow(row: JsonObject): Candidate {
  const payload = isObject(row.payload) ? row.payload : undefined;
  const top = resolveAliases(row);
  const nested = payload ? resolveAliases(payload) : {};
  const look = (field: CanonicalField) => top[field] ?? nested[field];
  const userId = look('userId');
  const source = look('source');
  const fields = definedOnly({
    event: look('event'),
    deviceId: look('deviceId') ?? userId ?? source,
    userId,
    sessionId: look('sessionId'),
    source,
    eventId: look('eventId'),
    value: look('value'),
    properties: propertiesOf(row, payload, look('properties')),
  });
  return { fields, timestamp: nullToUndefined(look('timestamp')) };
}

function fromSegmentMessage(row: JsonObject, type: string): Candidate {
  const declared = isObject(row.properties) ? row.properties : {};
  const properties: JsonObject = { ...declared };
  if (type === 'identify' && isObject(row.traits)) properties.traits = row.traits;
  if ((type === 'screen' || type === 'page') && row.name !== undefined) properties.name = row.name;
  if (type === 'page' && row.category !== undefined) properties.category = row.category;
  const top = resolveAliases(row);
  const inProperties = resolveAliases(declared);
  const fields = definedOnly({
    event: type === 'track' ? row.event : type,
    deviceId: top.deviceId ?? top.userId,
    userId: top.userId,
    sessionId: top.sessionId ?? inProperties.sessionId,
    source: top.source,
    eventId: top.eventId,
    value: inProperties.value,
    properties,
  });
  return { fields, timestamp: nullToUndefined(row.timestamp ?? row.originalTimestamp) };
}

/**
 * Properties are the declared properties object, plus the rest of a nested `payload`, plus any
 * top-level keys that are not canonical fields: a row's data is never silently dropped.
 */
function propertiesOf(row: JsonObject, payload: JsonObject | undefined, declared: Json | undefined): unknown {
  if (declared !== undefined && declared !== null && !isObject(declared)) return declared;
  const properties: JsonObject = {};
  const copyRest = (object: JsonObject) => {
    for (const key in object) {
      if (Object.hasOwn(object, key) && !AliasIndex.has(key) && !EnvelopeKeys.has(key)) define(properties, key, object[key]!);
    }
  };
  copyRest(row);
  if (payload) copyRest(payload);
  if (declared) for (const key in declared) if (Object.hasOwn(declared, key)) define(properties, key, declared[key]!);
  return properties;
}

/** A `__proto__` key arrives from JSON.parse as an own property and must stay one, never become the prototype. */
function define(object: JsonObject, key: string, value: Json): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

function contextOf(row: JsonObject, userAgent: string | undefined): JsonObject | undefined {
  // No raw IP is ever stored: drop it here, before the event is queued.
  const { ip: _ip, ...rest } = isObject(row.context) ? row.context : {};
  if (userAgent && typeof rest.userAgent !== 'string') rest.userAgent = userAgent;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

function dig(object: JsonObject, path: string[]): Json | undefined {
  let current: Json | undefined = object;
  for (const key of path) {
    if (!isObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** Every row of a request shares its receive time: format it once. */
let lastReceived: { ms: number; iso: string } = { ms: Number.NaN, iso: '' };
function receivedIso(ms: number): string {
  if (lastReceived.ms !== ms) lastReceived = { ms, iso: toIso(ms) };
  return lastReceived.iso;
}

/** A copy without null or undefined fields (built anew: `delete` would make the object slow). */
function definedOnly(fields: Record<string, unknown>): Record<string, unknown> {
  const defined: Record<string, unknown> = {};
  for (const key in fields) if (fields[key] !== undefined && fields[key] !== null) defined[key] = fields[key];
  return defined;
}
const nullToUndefined = (value: unknown) => (value === null || value === '' ? undefined : value);

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
