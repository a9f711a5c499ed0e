/**
 * Listing cursors (`nextCursor` of `/v1/events` and `/v1/rejections`): opaque to clients, signed
 * with HMAC-SHA256 under the stack's secret and bound to the route, the project and the filters,
 * so a cursor that was forged, edited, or issued for another project or another filter is refused
 * with 400 `invalid_cursor` before anything reads it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BadRequestError } from './errors.js';
import { stableJson } from './stable-json.js';

/** What a cursor is valid for: the listing, the project and its filters (absent filters left out). */
export type CursorBinding = {
  readonly route: string;
  readonly projectId: string;
  readonly filters: Readonly<Record<string, string | undefined>>;
};

/** Cursors longer than this are refused unread: a page position is a few hundred bytes. */
const MAX_CURSOR_CHARS = 4096;

export const invalidCursor = (why: string) =>
  new BadRequestError(`\`cursor\` is not one this API returned for this query (${why}); start again without it.`, 'invalid_cursor');

function mac(secret: string, binding: CursorBinding, payload: string): Buffer {
  const filters = Object.fromEntries(Object.entries(binding.filters).filter(([, value]) => value !== undefined));
  return createHmac('sha256', secret)
    .update(stableJson([binding.route, binding.projectId, filters, payload]))
    .digest();
}

/** `payload.signature`, both base64url. */
export function signCursor(secret: string, binding: CursorBinding, position: unknown): string {
  const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
  return `${payload}.${mac(secret, binding, payload).toString('base64url')}`;
}

/** The position a cursor carries, once its signature proves this API issued it for this binding. */
export function openCursor(secret: string, binding: CursorBinding, cursor: string): unknown {
  if (cursor.length > MAX_CURSOR_CHARS) throw invalidCursor('too long');
  const [payload, signature, ...rest] = cursor.split('.');
  if (!payload || !signature || rest.length > 0) throw invalidCursor('malformed');
  // Compared as text: base64 decoding skips stray characters, and a cursor must be exactly what was issued.
  const expected = Buffer.from(mac(secret, binding, payload).toString('base64url'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidCursor('signature does not match');
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor('malformed');
  }
}
