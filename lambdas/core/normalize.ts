/**
 * Turns one row of whatever schema a client sent into a `NormalizedEvent`, or a rejection that
 * says why. Never throws: a bad row must not fail the rows beside it. In steps, each a pure
 * function of what the one before gave: resolve aliases (row-fields.ts), check fields
 * (field-checks.ts), correct time (event-time.ts), build the event, serialize it. The row is only read.
 */
import { deriveEventId, eventFingerprint, identityMembers, idempotentEventId } from './event-id.js';
import { eventTime, type EventTime } from './event-time.js';
import { checkFields, type CheckedFields } from './field-checks.js';
import { hasKeys, isObject } from './json-object.js';
import { readRow } from './row-fields.js';
import { jsonString, plainJson, stableJson } from './stable-json.js';
import { toIso } from './timestamps.js';
import type { IngestMode, JsonObject, NormalizedEvent, Rejection } from './types.js';
import { RejectionReason } from './types.js';

// The alias table has its own module; the name stays importable from here, where callers found it.
export { FieldAliases } from './field-aliases.js';

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

/** An event as built, with what its JSON is made of (each piece serialized once). */
type BuiltEvent = {
  readonly event: NormalizedEvent & { readonly fingerprint: string };
  /** The identity members as JSON (event-id.ts): the head of the event's JSON. */
  readonly identity: string;
  readonly propertiesJson: string;
  readonly context: JsonObject | undefined;
};

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
  const read = readRow(row);
  if (!read.ok) {
    return reject(
      index,
      RejectionReason.unsupported,
      `message type '${read.unsupportedType}' is not supported; send track, screen, page or identify`,
    );
  }
  const checked = checkFields(read.candidate.fields);
  if (!checked.ok) return reject(index, RejectionReason.validation, checked.error);
  const timed = eventTime(read.candidate.timestamp, row, ctx);
  if (!timed.ok) return reject(index, timed.reason, timed.error);
  const built = buildEvent(checked.value, timed.time, row, index, ctx);
  const json = serializeEvent(built);
  const bytes = Buffer.byteLength(json);
  if (bytes > ctx.maxEventBytes) {
    return reject(index, RejectionReason.tooLarge, `event is ${bytes} bytes; the limit is ${ctx.maxEventBytes} (maxEventBytes)`);
  }
  return { ok: true, event: built.event, json, bytes, clamped: timed.time.clamped };
}

/** Normalization, step 4: the event, its id (sent, or made for it) and the fingerprint of its content. */
function buildEvent(fields: CheckedFields, time: EventTime, row: JsonObject, index: number, ctx: NormalizeContext): BuiltEvent {
  const context = contextOf(row, ctx.userAgent);
  const content = {
    event: fields.event,
    deviceId: fields.deviceId,
    timestamp: time.timestamp,
    originalTimestamp: time.originalTimestamp,
    receivedAt: toIso(ctx.receivedAt),
    properties: fields.properties,
    ...(fields.userId === undefined ? {} : { userId: fields.userId }),
    ...(fields.sessionId === undefined ? {} : { sessionId: fields.sessionId }),
    ...(fields.source === undefined ? {} : { source: fields.source }),
    ...(fields.value === undefined ? {} : { value: fields.value }),
    ...(context ? { context } : {}),
  };
  // Each piece is serialized once and serves both a derived id's hash and the event's own JSON,
  // which is what gets measured against the size limit and reused for packing.
  const identity = identityMembers(content);
  // Keys in canonical order: the fingerprint (and a derived id) must not depend on key order.
  const propertiesJson = stableJson(content.properties);
  const eventId = fields.eventId ?? idForRowWithoutId(identity, propertiesJson, index, ctx);
  // A row without a time of its own has the receive time as `originalTimestamp`: that must not make
  // a resend's content differ from the first copy's.
  const fingerprint = eventFingerprint(
    time.sentByClient ? identity : identityMembers({ ...content, originalTimestamp: undefined }),
    propertiesJson,
  );
  return { event: { eventId, ...content, fingerprint }, identity, propertiesJson, context };
}

/** Normalization, step 5: the event's JSON as it is queued, from the pieces already serialized. */
function serializeEvent({ event, identity, propertiesJson, context }: BuiltEvent): string {
  return (
    `{"eventId":${jsonString(event.eventId)},${identity},"timestamp":"${event.timestamp}","receivedAt":"${event.receivedAt}",` +
    `"fingerprint":"${event.fingerprint}",${context ? `"context":${plainJson(context)},` : ''}"properties":${propertiesJson}}`
  );
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

/** A row as it is kept for audit when rejected: as sent, less `context.ip` (no raw IP is ever stored). */
export function rowForAudit(row: unknown): unknown {
  if (!isObject(row) || !isObject(row.context) || !Object.hasOwn(row.context, 'ip')) return row;
  const { ip: _ip, ...context } = row.context;
  return { ...row, context };
}

/**
 * A row translated from another protocol as kept for a replay through `/v1/import`: with the
 * context its event would have been stored with (the sender's user agent, no IP), since the
 * replaying request's own user agent (the CLI's) is not the sender's.
 */
export function rowForReplay(row: unknown, userAgent: string | undefined): unknown {
  if (!isObject(row) || (row.context !== undefined && !isObject(row.context))) return rowForAudit(row);
  const { context: _sent, ...rest } = row;
  const context = contextOf(row, userAgent);
  return context === undefined ? rest : { ...rest, context };
}

function contextOf(row: JsonObject, userAgent: string | undefined): JsonObject | undefined {
  const sent = isObject(row.context) ? row.context : undefined;
  const addAgent = userAgent !== undefined && userAgent !== '' && typeof sent?.userAgent !== 'string';
  // No raw IP is ever stored: drop it here, before the event is queued.
  if (sent && !addAgent && !Object.hasOwn(sent, 'ip')) return hasKeys(sent) ? sent : undefined;
  const { ip: _ip, ...rest } = sent ?? {};
  const context = addAgent ? { ...rest, userAgent } : rest;
  return hasKeys(context) ? context : undefined;
}
