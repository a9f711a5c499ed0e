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
 * whole key. Returns the prefix of the revoked key.
 */
export async function revokeKey(target: Target, keyOrPrefix: string, projectId?: string): Promise<string> {
  const store = new DynamoKeyStore(target.documents, target.keysTableName, 0);
  const given = keyOrPrefix.replace(/…$/, '');
  if (given.length > KEY_PREFIX_LENGTH) {
    await store.revoke(given);
    return given.slice(0, KEY_PREFIX_LENGTH);
  }
  return (await store.revokeByPrefix(given, projectId)).keyPrefix;
}

export const isKeyKind = (value: string): value is KeyKind => value === KeyKind.write || value === KeyKind.secret;
