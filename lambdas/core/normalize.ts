/**
 * Turns one row of whatever schema a client sent into a `NormalizedEvent`, or a rejection that
 * says why. Never throws: a bad row must not fail the rows beside it.
 */
import { z } from 'zod';
import { deriveEventId } from './event-id.js';
import { parseTimestamp, toIso } from './timestamps.js';
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
  | { readonly ok: true; readonly event: NormalizedEvent; readonly bytes: number; readonly clamped: boolean }
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
const AliasKeys = new Set<string>(Object.values(FieldAliases).flat());

const MAX_NAME = 256;
const text = (max: number) =>
  z
    .union([z.string(), z.number().finite()])
    .transform((v) => String(v).trim())
    .pipe(z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`));

const CanonicalRow = z.object({
  event: text(MAX_NAME),
  deviceId: text(MAX_NAME),
  userId: text(MAX_NAME).optional(),
  sessionId: text(MAX_NAME).optional(),
  source: text(MAX_NAME).optional(),
  eventId: text(MAX_NAME).optional(),
  value: z
    .union([z.number(), z.string().trim().regex(/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, 'must be a number')])
    .transform(Number)
    .pipe(z.number().finite('must be a finite number'))
    .optional(),
  properties: z.record(z.string(), z.unknown(), 'must be an object'),
});

export function normalizeRow(row: unknown, index: number, ctx: NormalizeContext): NormalizeResult {
  const reject = (reason: RejectionReason, error: string): NormalizeResult => ({
    ok: false,
    rejection: { index, reason, error, retryable: false },
  });

  if (!isObject(row)) return reject(RejectionReason.validation, 'row must be a JSON object');
  const bytes = Buffer.byteLength(JSON.stringify(row));
  if (bytes > ctx.maxEventBytes) {
    return reject(RejectionReason.tooLarge, `row is ${bytes} bytes; the limit is ${ctx.maxEventBytes} (maxEventBytes)`);
  }

  const messageType = typeof row.type === 'string' && SegmentTypes.has(row.type) ? row.type : undefined;
  if (messageType && UnsupportedSegmentTypes.has(messageType)) {
    return reject(RejectionReason.unsupported, `message type '${messageType}' is not supported; send track, screen, page or identify`);
  }

  const candidate = messageType ? fromSegmentMessage(row, messageType) : fromNativeRow(row);
  const parsed = CanonicalRow.safeParse(candidate.fields);
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
  const event: NormalizedEvent = {
    eventId:
      fields.eventId ??
      deriveEventId({ ...fields, properties, originalTimestampMs: originalMs }),
    event: fields.event,
    deviceId: fields.deviceId,
    timestamp: toIso(time.correctedMs),
    originalTimestamp: toIso(originalMs),
    receivedAt: toIso(ctx.receivedAt),
    properties,
  };
  if (fields.userId !== undefined) event.userId = fields.userId;
  if (fields.sessionId !== undefined) event.sessionId = fields.sessionId;
  if (fields.source !== undefined) event.source = fields.source;
  if (fields.value !== undefined) event.value = fields.value;
  const context = contextOf(row, ctx.userAgent);
  if (context) event.context = context;
  return { ok: true, event, bytes, clamped: time.clamped };
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

function fromNativeRow(row: JsonObject): Candidate {
  const payload = isObject(row.payload) ? row.payload : undefined;
  const look = (field: CanonicalField) => lookup(row, field) ?? (payload ? lookup(payload, field) : undefined);
  const userId = look('userId');
  const source = look('source');
  const fields: Record<string, unknown> = {
    event: look('event'),
    deviceId: look('deviceId') ?? userId ?? source,
    userId,
    sessionId: look('sessionId'),
    source,
    eventId: look('eventId'),
    value: look('value'),
    properties: propertiesOf(row, payload, look('properties')),
  };
  return { fields: withoutNulls(fields), timestamp: nullToUndefined(look('timestamp')) };
}

function fromSegmentMessage(row: JsonObject, type: string): Candidate {
  const declared = isObject(row.properties) ? row.properties : {};
  const properties: JsonObject = { ...declared };
  if (type === 'identify' && isObject(row.traits)) properties.traits = row.traits;
  if ((type === 'screen' || type === 'page') && row.name !== undefined) properties.name = row.name;
  if (type === 'page' && row.category !== undefined) properties.category = row.category;
  const userId = lookup(row, 'userId');
  const fields: Record<string, unknown> = {
    event: type === 'track' ? row.event : type,
    deviceId: lookup(row, 'deviceId') ?? userId,
    userId,
    sessionId: lookup(row, 'sessionId') ?? lookup(declared, 'sessionId'),
    source: lookup(row, 'source'),
    eventId: lookup(row, 'eventId'),
    value: lookup(declared, 'value'),
    properties,
  };
  return { fields: withoutNulls(fields), timestamp: nullToUndefined(row.timestamp ?? row.originalTimestamp) };
}

/**
 * Properties are the declared properties object, plus the rest of a nested `payload`, plus any
 * top-level keys that are not canonical fields: a row's data is never silently dropped.
 */
function propertiesOf(row: JsonObject, payload: JsonObject | undefined, declared: Json | undefined): unknown {
  if (declared !== undefined && declared !== null && !isObject(declared)) return declared;
  const rest = (object: JsonObject) => Object.entries(object).filter(([key]) => !AliasKeys.has(key) && !EnvelopeKeys.has(key));
  return Object.fromEntries([...rest(row), ...(payload ? rest(payload) : []), ...Object.entries(declared ?? {})]);
}

function contextOf(row: JsonObject, userAgent: string | undefined): JsonObject | undefined {
  // No raw IP is ever stored: drop it here, before the event is queued.
  const { ip: _ip, ...rest } = isObject(row.context) ? row.context : {};
  if (userAgent && typeof rest.userAgent !== 'string') rest.userAgent = userAgent;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** The first alias of `field` present in `object`; dotted aliases walk nested objects. */
function lookup(object: JsonObject, field: CanonicalField): Json | undefined {
  for (const alias of FieldAliases[field]) {
    const value = alias.includes('.') ? dig(object, alias.split('.')) : Object.hasOwn(object, alias) ? object[alias] : undefined;
    if (value !== undefined && value !== null && value !== '') return value;
  }
  return undefined;
}

function dig(object: JsonObject, path: string[]): Json | undefined {
  let current: Json | undefined = object;
  for (const key of path) {
    if (!isObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

const withoutNulls = (fields: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null));
const nullToUndefined = (value: unknown) => (value === null || value === '' ? undefined : value);

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
