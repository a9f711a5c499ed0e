/**
 * The content attributes of a stored event's DynamoDB item, written small and read back whole.
 * Keys, index keys and TTL are the event store's (adapters/event-store.ts); this module owns how
 * the event itself is kept, so every reader (query API, lake writer, CLI) decodes it one way.
 *
 * What is cut, and why nothing is lost (an item under 1 KB is one write unit instead of two:
 * DynamoDB Developer Guide, "Item sizes and formats", attribute names count as well as values):
 * - `properties` and `context` are stored compressed when that is smaller (stored-json.ts).
 * - `originalTimestamp` is left out when it equals `timestamp` (no skew correction: most events)
 *   and read back as `timestamp`.
 * - The content fingerprint is kept as `fp`, 16 bytes (128 bits of its SHA-256) in a Binary
 *   attribute, instead of 40 hex digits under `fingerprint`. It is only ever compared with the
 *   fingerprint of another copy of the same event id, never searched for among all events, so the
 *   birthday bound does not apply: a different content passes as a duplicate with probability 2^-128
 *   by chance, and forging one is a second preimage of SHA-256 truncated to 128 bits (2^128 work).
 */
import { decodeStoredJson, encodeStoredJson, isStoredJson, type StoredJson } from './stored-json.js';
import type { JsonObject, StoredEvent } from './types.js';

/** Bytes of the fingerprint kept in the item. */
export const STORED_FINGERPRINT_BYTES = 16;

/** Item attributes that are storage, not part of the event: never returned by the API. */
export const STORAGE_ATTRIBUTES: ReadonlySet<string> = new Set(['pk', 'listPk', 'listSk', 'ts', 'expiresAt', 'fingerprint', 'fp']);

export type EventItemContent = Omit<StoredEvent, 'properties' | 'context' | 'fingerprint' | 'originalTimestamp'> & {
  properties: StoredJson;
  context?: StoredJson;
  originalTimestamp?: string;
  fp?: Uint8Array;
};

/** The event as the item keeps it. */
export function eventItemContent(event: StoredEvent): EventItemContent {
  const { properties, context, fingerprint, originalTimestamp, ...fields } = event;
  return {
    ...fields,
    // JSON text, never a DynamoDB map: whatever a client nests, or however large or small its numbers,
    // DynamoDB's own limits (32 levels, ±1e125) can never reject an accepted event.
    properties: encodeStoredJson(JSON.stringify(properties)),
    ...(context ? { context: encodeStoredJson(JSON.stringify(context)) } : {}),
    ...(originalTimestamp === event.timestamp ? {} : { originalTimestamp }),
    ...(fingerprint === undefined ? {} : { fp: storedFingerprint(fingerprint) }),
  };
}

/** The leading 128 bits of a fingerprint (hex, as ingest computes it), as the item keeps them. */
export const storedFingerprint = (hex: string): Uint8Array =>
  Uint8Array.from(Buffer.from(hex.slice(0, STORED_FINGERPRINT_BYTES * 2), 'hex'));

/** An item's fingerprint as stored: `fp` (bytes) or, on items written before it, `fingerprint` (hex); neither on items without one. */
export type StoredFingerprint = { readonly fp?: Uint8Array; readonly fingerprint?: string };

/** The fingerprint attributes of an (unmarshalled) item, in whichever form it holds them, unconverted. */
export const storedFingerprintOf = (item: Readonly<Record<string, unknown>>): StoredFingerprint => ({
  ...(item.fp instanceof Uint8Array ? { fp: item.fp } : {}),
  ...(typeof item.fingerprint === 'string' ? { fingerprint: item.fingerprint } : {}),
});

/**
 * Whether an event's fingerprint matches the one an item holds, in either stored form, compared on
 * the same leading 128 bits. `undefined` when the item holds none (events stored before
 * fingerprints, pipeline-made `session_start`s).
 */
export function sameFingerprint(item: StoredFingerprint, given: string): boolean | undefined {
  const wanted = given.slice(0, STORED_FINGERPRINT_BYTES * 2).toLowerCase();
  if (item.fp !== undefined) return Buffer.from(item.fp).toString('hex') === wanted;
  if (item.fingerprint !== undefined) return item.fingerprint.slice(0, STORED_FINGERPRINT_BYTES * 2).toLowerCase() === wanted;
  return undefined;
}

/** Whether a stored item's fingerprint and a copy's agree: without one on either side, the id alone decides. */
export const fingerprintsAgree = (stored: StoredFingerprint, given: string | undefined): boolean =>
  given === undefined || sameFingerprint(stored, given) !== false;

/** A stored JSON attribute (either form, or an object already) as the object it holds; `undefined` when absent. */
export function storedObject(value: unknown): JsonObject | undefined {
  if (!isStoredJson(value))
    return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) ? (value as JsonObject) : undefined;
  const parsed: unknown = JSON.parse(decodeStoredJson(value));
  return typeof parsed === 'object' && parsed !== null ? (parsed as JsonObject) : undefined;
}

/** An item (unmarshalled) back as the event it stores, storage attributes left out. */
export function eventOfItem(item: Readonly<Record<string, unknown>>): StoredEvent {
  const event = Object.fromEntries(Object.entries(item).filter(([key]) => !STORAGE_ATTRIBUTES.has(key))) as StoredEvent;
  event.properties = storedObject(item.properties) ?? {};
  const context = storedObject(item.context);
  if (context) event.context = context;
  if (typeof item.originalTimestamp !== 'string') event.originalTimestamp = event.timestamp;
  return event;
}
