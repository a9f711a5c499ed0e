import { hash } from 'node:crypto';
import { stableJson } from './stable-json.js';
import type { NormalizedEvent } from './types.js';

/**
 * What makes two events the same event when their client sent no id. The time is the client's
 * own (never the corrected one), so a resend with a new `sentAt` keeps its id.
 */
const IdentityFields = ['event', 'deviceId', 'userId', 'sessionId', 'source', 'value', 'originalTimestamp'] as const;

type IdentityField = (typeof IdentityFields)[number];

/** The identity fields as JSON members, without braces: the head of the event's own JSON too. */
export function identityMembers(event: { readonly [F in IdentityField]?: NormalizedEvent[F] | undefined }): string {
  let out = '';
  for (const field of IdentityFields) {
    const value = event[field];
    if (value !== undefined) out += `${out ? ',' : ''}"${field}":${stableJson(value)}`;
  }
  return out;
}

/**
 * The id of an event whose client sent none: a SHA-256 of its identity members and its
 * properties' JSON, which `stableJson` writes in sorted key order so key order never changes it.
 */
export function deriveEventId(identityMembers: string, propertiesJson: string): string {
  return `h-${sha256Hex(`${identityMembers}\n${propertiesJson}`).slice(0, 40)}`;
}

/**
 * The content of an event as its client sent it: identity members (with the client's own time
 * only) and properties. Two copies of one event have the same fingerprint; the same id with
 * different content does not, which the processor reports as a `conflict`.
 */
export function eventFingerprint(identityMembers: string, propertiesJson: string): string {
  return sha256Hex(`fingerprint\n${identityMembers}\n${propertiesJson}`).slice(0, 40);
}

/** The id of the row at `index` of a request sent with `Idempotency-Key: key`. */
export function idempotentEventId(key: string, index: number): string {
  return `k-${sha256Hex(`${key}\n${index}`).slice(0, 40)}`;
}

/** What an `Idempotency-Key` may be: 1 to 255 printable ASCII characters (as payment APIs take). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** One-shot hashing: several times cheaper than `createHash` for the short inputs hashed per event. */
export const sha256Hex = (text: string): string => hash('sha256', text, 'hex');
