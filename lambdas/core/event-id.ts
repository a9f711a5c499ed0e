import { hash } from 'node:crypto';
import { stableJson } from './stable-json.js';
import type { NormalizedEvent } from './types.js';

/**
 * What makes two events the same event when their client sent no id. The time is the client's
 * own (never the corrected one), so a resend with a new `sentAt` keeps its id.
 */
const IdentityFields = ['event', 'deviceId', 'userId', 'sessionId', 'source', 'value', 'originalTimestamp'] as const;

/** The identity fields as JSON members, without braces: the head of the event's own JSON too. */
export function identityMembers(event: Pick<NormalizedEvent, (typeof IdentityFields)[number]>): string {
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

/** One-shot hashing: several times cheaper than `createHash` for the short inputs hashed per event. */
export const sha256Hex = (text: string): string => hash('sha256', text, 'hex');
