/** Project keys: create (the plaintext is shown once), list, revoke. */
import { DynamoKeyStore, KEY_PREFIX_LENGTH } from '../../lambdas/adapters/key-store.js';
import { generateKey, KeyKind } from '../../lambdas/core/keys.js';
import type { Target } from '../target.js';

export async function createKey(target: Target, projectId: string, kind: KeyKind): Promise<string> {
  const key = generateKey(kind);
  await new DynamoKeyStore(target.documents, target.keysTableName, 0).create(key, projectId, kind);
  return key;
}

export async function listKeys(target: Target, projectId: string) {
  return new DynamoKeyStore(target.documents, target.keysTableName, 0).list(projectId);
}

/**
 * Revokes a key named by the prefix `keys list` shows (its trailing `…` may be kept), or by the
 * whole key. Returns the prefix of the revoked key and when it was revoked (the first revocation stands).
 */
export async function revokeKey(
  target: Target,
  keyOrPrefix: string,
  projectId?: string,
  now = new Date(),
): Promise<{ keyPrefix: string; revokedAt: string; already: boolean }> {
  const store = new DynamoKeyStore(target.documents, target.keysTableName, 0);
  const given = keyOrPrefix.replace(/…$/, '');
  const revoked =
    given.length > KEY_PREFIX_LENGTH
      ? { keyPrefix: given.slice(0, KEY_PREFIX_LENGTH), revokedAt: await store.revoke(given, projectId, now) }
      : await store.revokeByPrefix(given, projectId, now);
  return { keyPrefix: revoked.keyPrefix, revokedAt: revoked.revokedAt!, already: revoked.revokedAt !== now.toISOString() };
}

export const isKeyKind = (value: string): value is KeyKind => value === KeyKind.write || value === KeyKind.secret;
