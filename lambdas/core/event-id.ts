import { createHash } from 'node:crypto';
import { stableStringify } from './stable-json.js';
import type { NormalizedEvent } from './types.js';

export type EventIdentityFields = Pick<NormalizedEvent, 'event' | 'deviceId' | 'userId' | 'sessionId' | 'source' | 'value'> & {
  /** The client's own timestamp (epoch ms), never the corrected one: a resend with a new `sentAt` keeps its id. */
  originalTimestampMs: number;
  properties: unknown;
};

/** The id of an event whose client sent none: a SHA-256 of its canonical fields. */
export function deriveEventId(fields: EventIdentityFields): string {
  const canonical = stableStringify([
    fields.event,
    fields.deviceId,
    fields.userId ?? null,
    fields.sessionId ?? null,
    fields.source ?? null,
    fields.value ?? null,
    fields.originalTimestampMs,
    fields.properties,
  ]);
  return `h-${sha256Hex(canonical).slice(0, 40)}`;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
