/**
 * How an event's `properties` and `context` are kept in its DynamoDB item: as JSON text (a String
 * attribute), or, when that saves bytes, compressed (a Binary attribute). The attribute's type tells
 * which, so items written before compression, and small objects it would not shrink, stay plain
 * text and read as they always did.
 *
 * Why: a DynamoDB write costs one unit per 1 KB of item, attribute names and values counted in
 * UTF-8, and a Binary value by its raw bytes although it travels as base64 (DynamoDB Developer
 * Guide, "Item sizes and formats":
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html);
 * these two JSON texts are most of a stored event.
 *
 * Binary layout: one byte naming the format, then the compressed bytes. Format 1 is raw DEFLATE
 * (RFC 1951, `node:zlib` deflateRaw) with `DICTIONARY_V1` as preset dictionary: short texts barely
 * compress on their own, while the member names SDKs put in a context (Segment's context spec:
 * library, app, device, os, network, screen, locale, timezone, userAgent...) are in every event. The
 * dictionary of a format never changes once items are written with it; a new one takes a new format byte.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** What the item holds: plain JSON text, or format byte + compressed JSON. */
export type StoredJson = string | Uint8Array;

const FORMAT_DEFLATE_DICTIONARY_V1 = 1;

const DICTIONARY_V1 = Buffer.from(
  [
    '{"library":{"name":"analytics-ios","version":"1."},"app":{"name":"","version":"","build":"","namespace":"com."},',
    '"device":{"id":"","manufacturer":"Apple","model":"iPhone","type":"ios","name":""},"os":{"name":"Android","version":""},',
    '"network":{"wifi":true,"carrier":"","cellular":false},"screen":{"width":,"height":,"density":2},"locale":"en-US","timezone":"Europe/",',
    '"page":{"path":"/","referrer":"https://","search":"","title":"","url":"https://www."},"campaign":{"name":"","source":"","medium":"","term":"","content":""},',
    '"userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS like Mac OS X) AppleWebKit/537.36 (KHTML, like Gecko) Version/ Mobile/ Safari/",',
    '"userAgentInfo":{"os":"iOS","osVersion":"","browser":"Chrome","browserVersion":"","deviceType":"mobile"},',
    '"screen_name":"","product_id":"","price":,"currency":"USD","quantity":1,"revenue":,"__syncedAt":"20',
  ].join(''),
);

/** The form that takes fewer bytes: compressed when that is smaller than the text, the text otherwise. */
export function encodeStoredJson(json: string): StoredJson {
  const text = Buffer.from(json, 'utf8');
  const compressed = deflateRawSync(text, { level: 9, dictionary: DICTIONARY_V1 });
  if (compressed.length + 1 >= text.length) return json;
  const stored = new Uint8Array(compressed.length + 1);
  stored[0] = FORMAT_DEFLATE_DICTIONARY_V1;
  stored.set(compressed, 1);
  return stored;
}

/** The JSON text back from either form; a format this code does not know is an error, never a guess. */
export function decodeStoredJson(stored: StoredJson): string {
  if (typeof stored === 'string') return stored;
  if (stored[0] !== FORMAT_DEFLATE_DICTIONARY_V1) throw new Error(`stored JSON in an unknown format (${stored[0]})`);
  return inflateRawSync(stored.subarray(1), { dictionary: DICTIONARY_V1 }).toString('utf8');
}

/** Whether an attribute value read back from DynamoDB is one of the two stored forms. */
export const isStoredJson = (value: unknown): value is StoredJson => typeof value === 'string' || value instanceof Uint8Array;
