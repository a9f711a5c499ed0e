/**
 * Turns one row of whatever schema a client sent into a `NormalizedEvent`, or a rejection that
 * says why. Never throws: a bad row must not fail the rows beside it.
 */
import { Limits } from '../../resources/limits.js';
import { deriveEventId, eventFingerprint, identityMembers, idempotentEventId } from './event-id.js';
import { sentAtStampingOf, skewCorrectionMs } from './clock-skew.js';
import { jsonString, plainJson, stableJson } from './stable-json.js';
import { isCanonicalIso, parseTimestamp, toIso } from './timestamps.js';
import type { IngestMode, Json, JsonObject, NormalizedEvent, Rejection } from './types.js';
import { RejectionReason } from './types.js';
import { SYNTHETIC_SESSION_START } from './sessions.js';
import { checkValue } from './value.js';

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
  /** The request's `Idempotency-Key` header: rows without an id take theirs from it and their index. */
  readonly idempotencyKey?: string;
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
  // Never a generic `id` or `uuid`: those name products and orders, and two purchases of one product
  // would be taken for one event. They stay in `properties`.
  eventId: ['eventId', 'event_id', 'messageId', 'insertId', 'insert_id', '$insert_id'],
  sessionId: ['sessionId', 'session_id', '$session_id'],
  properties: ['properties', 'params', 'event_properties'],
} as const;
type CanonicalField = keyof typeof FieldAliases;

/** Segment and RudderStack message types; `alias` and `group` have no meaning for event counting. */
const SegmentTypes = new Set(['track', 'screen', 'page', 'identify', 'alias', 'group']);
const UnsupportedSegmentTypes = new Set(['alias', 'group']);

/** Envelope keys that are neither canonical fields nor properties. */
const EnvelopeKeys = new Set(['payload', 'context', 'sentAt', 'sent_at', 'integrations', 'receivedAt', 'writeKey']);

/** Read with the `u` flag, a surrogate pair is one code point: only a lone surrogate is matched. */
const LONE_SURROGATE = /\p{Cs}/u;
const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const TEXT_FIELDS = ['event', 'deviceId', 'userId', 'sessionId', 'source', 'eventId'] as const;
const REQUIRED_FIELDS: ReadonlySet<string> = new Set(['event', 'deviceId']);

type CanonicalFields = Pick<NormalizedEvent, 'event' | 'deviceId' | 'userId' | 'sessionId' | 'source' | 'value' | 'properties'> & { eventId?: string };
type Checked = { readonly ok: true; readonly fields: CanonicalFields } | { readonly ok: false; readonly error: string };
const fail = (field: string, problem: string): Checked => ({ ok: false, error: `${field}: ${problem}` });

/**
 * Takes what clients send loosely and mean plainly (`404` as an event name, `"12.50"` as a value,
 * names with stray spaces, null for absent), then checks the canonical shape. The first broken
 * rule comes back with its field's name. Written out rather than declared with zod: it runs for
 * every row, and a schema library's generality costs more here than the whole rest of the checks.
 */
function canonicalFields(candidate: Record<string, unknown>): Checked {
  for (const field of TEXT_FIELDS) {
    let value = candidate[field];
    if (value === undefined || value === null) {
      if (REQUIRED_FIELDS.has(field)) return fail(field, 'is required');
      candidate[field] = undefined;
      continue;
    }
    if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
    if (typeof value !== 'string') return fail(field, 'must be a string');
    const name = value.trim();
    if (name === '') return fail(field, 'must not be empty');
    // A lone surrogate has no UTF-8 form: it could be neither a key nor a message body.
    if (LONE_SURROGATE.test(name)) return fail(field, 'must be well-formed Unicode (a lone surrogate is not)');
    // Measured as it is written into keys and JSON, so every key derived from it fits DynamoDB's limits.
    // (A UTF-16 unit takes at most 6 bytes escaped, so short strings need no measuring.)
    if (name.length > Limits.maxKeyFieldBytes / 6) {
      const bytes = Buffer.byteLength(jsonString(name)) - 2;
      if (bytes > Limits.maxKeyFieldBytes) return fail(field, `must be at most ${Limits.maxKeyFieldBytes} bytes of UTF-8 after JSON escaping (maxKeyFieldBytes); got ${bytes}`);
    }
    // The processor's synthetic starts carry this name; a client's would be counted with them.
    if (field === 'event' && name === SYNTHETIC_SESSION_START) {
      return fail(field, `'${SYNTHETIC_SESSION_START}' is reserved for the session starts Tidemark writes; name yours session_start`);
    }
    candidate[field] = name;
  }
  let value: unknown = candidate.value ?? undefined;
  if (typeof value === 'string' && NUMERIC.test(value.trim())) value = Number(value);
  if (value !== undefined) {
    if (typeof value !== 'number') return fail('value', 'must be a number');
    const checked = checkValue(value);
    if (!checked.ok) return { ok: false, error: checked.error };
    value = checked.value;
  }
  candidate.value = value;
  if (!isObject(candidate.properties)) return fail('properties', 'must be an object');
  return { ok: true, fields: candidate as CanonicalFields };
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

function reject(index: number, reason: RejectionReason, error: string): NormalizeResult {
  return { ok: false, rejection: { index, reason, error, retryable: false } };
}

function normalizeObject(row: unknown, index: number, ctx: NormalizeContext): NormalizeResult {
  if (!isObject(row)) return reject(index, RejectionReason.validation, 'row must be a JSON object');

  const messageType = typeof row.type === 'string' && SegmentTypes.has(row.type) ? row.type : undefined;
  if (messageType && UnsupportedSegmentTypes.has(messageType)) {
    return reject(index, RejectionReason.unsupported, `message type '${messageType}' is not supported; send track, screen, page or identify`);
  }

  const candidate = messageType ? fromSegmentMessage(row, messageType) : fromNativeRow(row);
  const checked = canonicalFields(candidate.fields);
  if (!checked.ok) return reject(index, RejectionReason.validation, checked.error);

  const originalMs = candidate.timestamp === undefined ? ctx.receivedAt : parseTimestamp(candidate.timestamp);
  if (originalMs === undefined) {
    return reject(index, RejectionReason.validation, `timestamp: cannot read ${JSON.stringify(candidate.timestamp).slice(0, 64)} as a time`);
  }
  const sentAt = parseTimestamp(row.sentAt) ?? ctx.sentAt;
  const time = correctTime(originalMs, candidate.timestamp !== undefined ? sentAt : undefined, row, ctx);
  if (ctx.mode !== 'import' && time.correctedMs < ctx.receivedAt - ctx.maxEventAgeDays * 86_400_000) {
    return reject(
      index,
      RejectionReason.tooOld,
      `event time ${toIso(time.correctedMs)} is older than ${ctx.maxEventAgeDays} days (maxEventAgeDays); use /v1/import for backfills`,
    );
  }

  const fields = checked.fields;
  // Most SDKs already send the canonical form; reuse it rather than format it again.
  const originalIso = typeof candidate.timestamp === 'string' && isCanonicalIso(candidate.timestamp) ? candidate.timestamp : toIso(originalMs);
  const event = {
    eventId: '',
    event: fields.event,
    deviceId: fields.deviceId,
    timestamp: time.correctedMs === originalMs ? originalIso : toIso(time.correctedMs),
    originalTimestamp: originalIso,
    receivedAt: receivedIso(ctx.receivedAt),
    properties: fields.properties,
  } as NormalizedEvent;
  if (fields.userId !== undefined) event.userId = fields.userId;
  if (fields.sessionId !== undefined) event.sessionId = fields.sessionId;
  if (fields.source !== undefined) event.source = fields.source;
  if (fields.value !== undefined) event.value = fields.value;
  const context = contextOf(row, ctx.userAgent);
  if (context) event.context = context;
  // Each piece is serialized once and serves both a derived id's hash and the event's own JSON,
  // which is what gets measured against the size limit and reused for packing.
  const identity = identityMembers(event);
  // Keys in canonical order: the fingerprint (and a derived id) must not depend on key order.
  const propertiesJson = stableJson(event.properties);
  event.eventId = fields.eventId ?? idForRowWithoutId(identity, propertiesJson, index, ctx);
  // A row without a time of its own has the receive time as `originalTimestamp`: that must not make
  // a resend's content differ from the first copy's.
  event.fingerprint = eventFingerprint(
    candidate.timestamp === undefined ? identityMembers({ ...event, originalTimestamp: undefined }) : identity,
    propertiesJson,
  );
  const json =
    `{"eventId":${jsonString(event.eventId)},${identity},"timestamp":"${event.timestamp}","receivedAt":"${event.receivedAt}",` +
    `"fingerprint":"${event.fingerprint}",${context ? `"context":${plainJson(context)},` : ''}"properties":${propertiesJson}}`;
  const bytes = Buffer.byteLength(json);
  if (bytes > ctx.maxEventBytes) {
    return reject(index, RejectionReason.tooLarge, `event is ${bytes} bytes; the limit is ${ctx.maxEventBytes} (maxEventBytes)`);
  }
  return { ok: true, event, json, bytes, clamped: time.clamped };
}

/**
 * With an `Idempotency-Key`, a row's id is the key and its index, so a retried request stores
 * nothing twice. Without one, a hash of its content and the client's time; a row with no time of
 * its own has the receive time there, so each resend of it is a new event (docs/reliability.md,
 * "Event identity").
 */
function idForRowWithoutId(identity: string, propertiesJson: string, index: number, ctx: NormalizeContext): string {
  return ctx.idempotencyKey === undefined ? deriveEventId(identity, propertiesJson) : idempotentEventId(ctx.idempotencyKey, index);
}

/** The clock-skew correction its library's way of stamping `sentAt` allows (clock-skew.ts), then the clamp of far-future times to receive time. */
function correctTime(originalMs: number, sentAtMs: number | undefined, row: JsonObject, ctx: NormalizeContext) {
  let correctedMs = originalMs;
  if (sentAtMs !== undefined) {
    correctedMs += skewCorrectionMs({ sentAtMs, receivedAtMs: ctx.receivedAt, thresholdMs: ctx.skewThresholdMs, stamping: sentAtStampingOf(libraryNameOf(row)) });
  }
  const clamped = correctedMs > ctx.receivedAt + ctx.futureToleranceMs;
  return { correctedMs: clamped ? ctx.receivedAt : correctedMs, clamped };
}

type Candidate = { fields: Record<string, unknown>; timestamp: unknown };
/** A canonical field as found: its value and the key of `object` it was read from. */
type Found = { readonly value: Json; readonly key: string; readonly object: JsonObject };
type Resolved = Partial<Record<CanonicalField, Found>>;

/** alias → canonical field; one pass over a row's keys finds every field. */
const AliasIndex = new Map<string, CanonicalField>();
for (const [field, aliases] of Object.entries(FieldAliases) as [CanonicalField, readonly string[]][]) {
  for (const alias of aliases) if (!alias.includes('.')) AliasIndex.set(alias, field);
}
const DEVICE_ID_PATH_RANK = FieldAliases.deviceId.indexOf('context.device.id');

/** Each canonical field in `object`, by its most preferred alias present (not null or ''). */
function resolveAliases(object: JsonObject): Resolved {
  const resolved: Resolved = {};
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const field = AliasIndex.get(key);
    if (field === undefined || !present(object[key])) continue;
    // Most rows use one alias per field; preference is only looked up when a field shows up twice.
    const chosen = resolved[field] === undefined ? key : FieldAliases[field][bestRank(object, field)]!;
    resolved[field] = { value: object[chosen]!, key: chosen, object };
  }
  const deviceId = dig(object, ['context', 'device', 'id']);
  if (present(deviceId) && (resolved.deviceId === undefined || DEVICE_ID_PATH_RANK < bestRank(object, 'deviceId'))) {
    // `context` is an envelope key: nothing of it is copied into properties either way.
    resolved.deviceId = { value: deviceId, key: 'context', object };
  }
  return resolved;
}

/** The keys of `object` that a canonical field was read from: every other key stays in properties. */
function chosenKeys(resolved: Resolved, object: JsonObject): Set<string> {
  const keys = new Set<string>();
  for (const field in resolved) {
    const found = resolved[field as CanonicalField]!;
    if (found.object === object) keys.add(found.key);
  }
  return keys;
}

const present = (value: Json | undefined): value is Json => value !== undefined && value !== null && value !== '';

/** The rank of the most preferred alias of `field` present in `object`. */
function bestRank(object: JsonObject, field: CanonicalField): number {
  const aliases: readonly string[] = FieldAliases[field];
  return aliases.findIndex((alias) => Object.hasOwn(object, alias) && present(object[alias]));
}

/** Each field from `first` where it has one, else from `second`: top-level names win over `payload`'s. */
function preferFirst(first: Resolved, second: Resolved): Resolved {
  for (const field in second) if (first[field as CanonicalField] === undefined) first[field as CanonicalField] = second[field as CanonicalField];
  return first;
}

function fromNativeRow(row: JsonObject): Candidate {
  const payload = isObject(row.payload) ? row.payload : undefined;
  const top = resolveAliases(row);
  const found = payload ? preferFirst(top, resolveAliases(payload)) : top;
  const fields = {
    event: found.event?.value,
    deviceId: (found.deviceId ?? found.userId ?? found.source)?.value,
    userId: found.userId?.value,
    sessionId: found.sessionId?.value,
    source: found.source?.value ?? libraryName(row),
    eventId: found.eventId?.value,
    value: found.value?.value,
    properties: propertiesOf(row, payload, found),
  };
  return { fields, timestamp: nullToUndefined(found.timestamp?.value) };
}

function fromSegmentMessage(row: JsonObject, type: string): Candidate {
  const declared = isObject(row.properties) ? row.properties : {};
  const extra: JsonObject = {};
  if (type === 'identify' && isObject(row.traits)) extra.traits = row.traits;
  if ((type === 'screen' || type === 'page') && row.name !== undefined) extra.name = row.name;
  if (type === 'page' && row.category !== undefined) extra.category = row.category;
  const properties = hasKeys(extra) ? { ...declared, ...extra } : declared;
  const top = resolveAliases(row);
  const inProperties = resolveAliases(declared);
  const fields = {
    event: type === 'track' ? row.event : type,
    deviceId: (top.deviceId ?? top.userId)?.value,
    userId: top.userId?.value,
    sessionId: (top.sessionId ?? inProperties.sessionId)?.value,
    source: top.source?.value ?? libraryName(row),
    eventId: top.eventId?.value,
    value: inProperties.value?.value,
    properties,
  };
  return { fields, timestamp: nullToUndefined(row.timestamp ?? row.originalTimestamp) };
}

/**
 * SDKs (Tidemark's, Segment's, RudderStack's) name themselves in `context.library.name` and send no
 * source: grouping by source then tells their traffic apart instead of showing it all as none. Only
 * a name that would pass as a source is taken, so a row is never rejected for its library's name.
 */
function libraryName(row: JsonObject): string | undefined {
  const name = dig(row, ['context', 'library', 'name']);
  if (typeof name !== 'string') return undefined;
  const trimmed = name.trim();
  const fits = trimmed !== '' && !LONE_SURROGATE.test(trimmed) && Buffer.byteLength(jsonString(trimmed)) - 2 <= Limits.maxKeyFieldBytes;
  return fits ? trimmed : undefined;
}

/**
 * Properties are the declared properties object, plus the rest of a nested `payload`, plus every
 * top-level key that no canonical field was read from (an alias that lost to a preferred one, such
 * as `price` beside `quantity`, included): a row's data is never silently dropped.
 */
function propertiesOf(row: JsonObject, payload: JsonObject | undefined, found: Resolved): unknown {
  const declared = found.properties?.value;
  if (declared !== undefined && declared !== null && !isObject(declared)) return declared;
  const properties: JsonObject = {};
  const extraKeys = copyExtraKeys(row, properties, chosenKeys(found, row)) + (payload ? copyExtraKeys(payload, properties, chosenKeys(found, payload)) : 0);
  // The common case has nothing to merge: keep the declared object rather than copy it.
  if (extraKeys === 0 && declared) return declared;
  if (declared) for (const key in declared) if (Object.hasOwn(declared, key)) define(properties, key, declared[key]!);
  return properties;
}

/** Copies the keys of `object` that are neither a chosen canonical field nor an envelope key; returns how many. */
function copyExtraKeys(object: JsonObject, into: JsonObject, chosen: ReadonlySet<string>): number {
  let copied = 0;
  for (const key in object) {
    if (Object.hasOwn(object, key) && !chosen.has(key) && !EnvelopeKeys.has(key)) {
      define(into, key, object[key]!);
      copied++;
    }
  }
  return copied;
}

/** A `__proto__` key arrives from JSON.parse as an own property and must stay one, never become the prototype. */
function define(object: JsonObject, key: string, value: Json): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/** A row as it is kept for audit when rejected: as sent, less `context.ip` (no raw IP is ever stored). */
export function rowForAudit(row: unknown): unknown {
  if (!isObject(row) || !isObject(row.context) || !Object.hasOwn(row.context, 'ip')) return row;
  const { ip: _ip, ...context } = row.context;
  return { ...row, context };
}

function contextOf(row: JsonObject, userAgent: string | undefined): JsonObject | undefined {
  const sent = isObject(row.context) ? row.context : undefined;
  const addAgent = userAgent !== undefined && userAgent !== '' && typeof sent?.userAgent !== 'string';
  // No raw IP is ever stored: drop it here, before the event is queued.
  if (sent && !addAgent && !Object.hasOwn(sent, 'ip')) return hasKeys(sent) ? sent : undefined;
  const { ip: _ip, ...rest } = sent ?? {};
  if (addAgent) rest.userAgent = userAgent;
  return hasKeys(rest) ? rest : undefined;
}

/** `context.library.name`, which says how the row's library stamps `sentAt`. */
function libraryNameOf(row: JsonObject): string | undefined {
  const name = dig(row, ['context', 'library', 'name']);
  return typeof name === 'string' ? name : undefined;
}

function hasKeys(object: JsonObject): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true;
  return false;
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

const nullToUndefined = (value: Json | undefined) => (present(value) ? value : undefined);

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
