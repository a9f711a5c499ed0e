/** Project keys: create (the plaintext is shown once), list, revoke. */
import { DynamoKeyStore } from '../../lambdas/adapters/key-store.js';
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

export async function revokeKey(target: Target, key: string): Promise<void> {
  await new DynamoKeyStore(target.documents, target.keysTableName, 0).revoke(key);
}

export const isKeyKind = (value: string): value is KeyKind => value === KeyKind.write || value === KeyKind.secret;
