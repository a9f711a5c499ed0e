/**
 * Normalization, step 1: reads a row's canonical fields under whichever alias its client used
 * (field-aliases.ts), from a native row (with an optional nested `payload`) or a Segment or
 * RudderStack message, and gathers every other key into properties. It only reads the row.
 */
import { ALIAS_INDEX, aliasesOf, CANONICAL_FIELDS, DEVICE_ID_PATH_RANK, type CanonicalField } from './field-aliases.js';
import { textOf } from './field-checks.js';
import { define, dig, hasKeys, isObject } from './json-object.js';
import type { Json, JsonObject } from './types.js';

/** What a row says for each canonical field, before any check. */
export type RowFields = {
  readonly event: unknown;
  readonly deviceId: unknown;
  readonly userId: unknown;
  readonly sessionId: unknown;
  readonly source: unknown;
  readonly eventId: unknown;
  readonly value: unknown;
  readonly properties: unknown;
};

/** The row's fields and its time as sent (undefined when it sent none). */
export type Candidate = { readonly fields: RowFields; readonly timestamp: Json | undefined };

export type ReadRow = { readonly ok: true; readonly candidate: Candidate } | { readonly ok: false; readonly unsupportedType: string };

/** Segment and RudderStack message types; `alias` and `group` have no meaning for event counting. */
const SegmentTypes = new Set(['track', 'screen', 'page', 'identify', 'alias', 'group']);
const UnsupportedSegmentTypes = new Set(['alias', 'group']);

/** Envelope keys that are neither canonical fields nor properties. */
const EnvelopeKeys = new Set(['payload', 'context', 'sentAt', 'sent_at', 'integrations', 'receivedAt', 'writeKey']);

/** A canonical field as found: its value and the key of `object` it was read from. */
type Found = { readonly value: Json; readonly key: string; readonly object: JsonObject };
type Resolved = { readonly [field in CanonicalField]?: Found };

export function readRow(row: JsonObject): ReadRow {
  const messageType = typeof row.type === 'string' && SegmentTypes.has(row.type) ? row.type : undefined;
  if (messageType && UnsupportedSegmentTypes.has(messageType)) return { ok: false, unsupportedType: messageType };
  return { ok: true, candidate: messageType ? fromSegmentMessage(row, messageType) : fromNativeRow(row) };
}

const present = (value: Json | undefined): value is Json => value !== undefined && value !== null && value !== '';
const presentOrUndefined = (value: Json | undefined): Json | undefined => (present(value) ? value : undefined);

/** Each canonical field in `object`, by its most preferred alias present (not null or ''). */
function resolveAliases(object: JsonObject): Resolved {
  const resolved: { [field in CanonicalField]?: Found } = {};
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const field = ALIAS_INDEX.get(key);
    const value = object[key];
    if (field === undefined || !present(value)) continue;
    // Most rows use one alias per field; preference is only looked up when a field shows up twice.
    const chosen = resolved[field] === undefined ? key : (aliasesOf(field)[bestRank(object, field)] ?? key);
    resolved[field] = { value: object[chosen] ?? value, key: chosen, object };
  }
  const deviceId = dig(object, ['context', 'device', 'id']);
  if (present(deviceId) && (resolved.deviceId === undefined || DEVICE_ID_PATH_RANK < bestRank(object, 'deviceId'))) {
    // `context` is an envelope key: nothing of it is copied into properties either way.
    resolved.deviceId = { value: deviceId, key: 'context', object };
  }
  return resolved;
}

/** The rank of the most preferred alias of `field` present in `object`. */
function bestRank(object: JsonObject, field: CanonicalField): number {
  return aliasesOf(field).findIndex((alias) => Object.hasOwn(object, alias) && present(object[alias]));
}

/** The keys of `object` that a canonical field was read from: every other key stays in properties. */
function chosenKeys(resolved: Resolved, object: JsonObject): Set<string> {
  const keys = new Set<string>();
  for (const field of CANONICAL_FIELDS) {
    const found = resolved[field];
    if (found?.object === object) keys.add(found.key);
  }
  return keys;
}

/** Each field from `first` where it has one, else from `second`: top-level names win over `payload`'s. */
const preferFirst = (first: Resolved, second: Resolved): Resolved => ({ ...second, ...first });

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
  return { fields, timestamp: presentOrUndefined(found.timestamp?.value) };
}

function fromSegmentMessage(row: JsonObject, type: string): Candidate {
  const declared = isObject(row.properties) ? row.properties : {};
  const extra: JsonObject = {
    ...(type === 'identify' && isObject(row.traits) ? { traits: row.traits } : {}),
    ...((type === 'screen' || type === 'page') && row.name !== undefined ? { name: row.name } : {}),
    ...(type === 'page' && row.category !== undefined ? { category: row.category } : {}),
  };
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
  return { fields, timestamp: presentOrUndefined(row.timestamp ?? row.originalTimestamp) };
}

/**
 * SDKs (Tidemark's, Segment's, RudderStack's) name themselves in `context.library.name` and send no
 * source: grouping by source then tells their traffic apart instead of showing it all as none. Only
 * a name that would pass as a source is taken, so a row is never rejected for its library's name.
 */
function libraryName(row: JsonObject): string | undefined {
  const name = dig(row, ['context', 'library', 'name']);
  if (typeof name !== 'string') return undefined;
  const checked = textOf('source', name);
  return checked.ok ? checked.value : undefined;
}

/**
 * Properties are the declared properties object, plus the rest of a nested `payload`, plus every
 * top-level key that no canonical field was read from (an alias that lost to a preferred one, such
 * as `price` beside `quantity`, included): a row's data is never silently dropped.
 */
function propertiesOf(row: JsonObject, payload: JsonObject | undefined, found: Resolved): unknown {
  const declared = found.properties?.value;
  if (declared !== undefined && declared !== null && !isObject(declared)) return declared;
  const properties: Record<string, Json | undefined> = {};
  const extraKeys =
    copyExtraKeys(row, properties, chosenKeys(found, row)) + (payload ? copyExtraKeys(payload, properties, chosenKeys(found, payload)) : 0);
  // The common case has nothing to merge: keep the declared object rather than copy it.
  if (extraKeys === 0 && declared) return declared;
  if (declared) for (const key in declared) if (Object.hasOwn(declared, key)) define(properties, key, declared[key]);
  return properties;
}

/** Copies the keys of `object` that are neither a chosen canonical field nor an envelope key into `into`; returns how many. */
function copyExtraKeys(object: JsonObject, into: Record<string, Json | undefined>, chosen: ReadonlySet<string>): number {
  let copied = 0;
  for (const key in object) {
    if (Object.hasOwn(object, key) && !chosen.has(key) && !EnvelopeKeys.has(key)) {
      define(into, key, object[key]);
      copied++;
    }
  }
  return copied;
}
