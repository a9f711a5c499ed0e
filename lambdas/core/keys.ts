/**
 * Project keys. A write key is public (shipped in apps) and only writes; a secret key reads and
 * imports. Keys are only ever stored and compared as SHA-256 hashes.
 */
import { createHash, randomBytes } from 'node:crypto';

export const KeyKind = { write: 'write', secret: 'secret' } as const;
export type KeyKind = (typeof KeyKind)[keyof typeof KeyKind];

export type ProjectKey = { readonly projectId: string; readonly kind: KeyKind };

type Headers = Readonly<Record<string, string | undefined>>;

/**
 * Reads a key from `Authorization: Basic base64(key:)` (Segment and RudderStack SDKs),
 * `Authorization: Bearer key`, `x-api-key`, or `openpanel-client-id` (OpenPanel SDKs, which are
 * given a write key as their client id). `openpanel-client-secret` is never read: OpenPanel uses
 * it to let server-side clients past origin checks, Tidemark write keys are public by design, and
 * a second key beside the first would only be a second thing to leak. Header names must already
 * be lower-cased.
 */
export function keyFromHeaders(headers: Headers): string | undefined {
  const authorization = headers.authorization?.trim();
  if (authorization) {
    const [scheme, credentials = ''] = authorization.split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'bearer') return credentials || undefined;
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
      return user || undefined;
    }
  }
  return headers['x-api-key']?.trim() || headers['openpanel-client-id']?.trim() || undefined;
}

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** A new random key, prefixed so a leaked key can be recognized: `tmw_…` (write) or `tms_…` (secret). */
export const generateKey = (kind: KeyKind): string => `${kind === KeyKind.write ? 'tmw' : 'tms'}_${randomBytes(24).toString('base64url')}`;

/** Which key kinds an endpoint accepts: writes take the write key, reads and imports the secret key. */
export const acceptedKinds = {
  write: [KeyKind.write],
  read: [KeyKind.secret],
  import: [KeyKind.secret],
} as const satisfies Record<string, readonly KeyKind[]>;
export type Access = keyof typeof acceptedKinds;
