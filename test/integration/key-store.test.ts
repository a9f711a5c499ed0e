/** The key cache against DynamoDB Local: bounded, unknown keys forgotten soon, revocation immediate in the revoking container. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmbiguousKeyPrefixError, DynamoKeyStore, KEY_PREFIX_LENGTH } from '../../lambdas/adapters/key-store.js';
import { NotFoundError } from '../../lambdas/core/errors.js';
import { generateKey, KeyKind } from '../../lambdas/core/keys.js';
import { startDynamoDbLocal, type Engine } from '../../local/engines.js';
import { createTable } from '../../local/provision.js';
import { KeysTable } from '../../resources/index.js';

let engine: Engine;
let dataDir: string;
let documents: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tidemark-keys-'));
  engine = await startDynamoDbLocal(dataDir);
  const client = new DynamoDBClient({
    endpoint: engine.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
  tableName = (await createTable(client, KeysTable)).name;
  documents = DynamoDBDocumentClient.from(client);
}, 120_000);

afterAll(async () => {
  documents?.destroy();
  await engine?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A clock the test moves by hand, so no assertion depends on how fast the machine is. */
const manualClock = () => {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

describe('key cache', () => {
  it('holds at most maxEntries keys however many unknown keys are tried', async () => {
    const store = new DynamoKeyStore(documents, tableName, 30_000, { maxEntries: 50 });
    for (let i = 0; i < 200; i++) expect(await store.find(`tmw_${randomBytes(12).toString('hex')}`)).toBeUndefined();
    expect(store.cachedKeys).toBe(50);
  });

  it('forgets an unknown key after the negative time to live, so a key created meanwhile works', async () => {
    const clock = manualClock();
    const reader = new DynamoKeyStore(documents, tableName, 30_000, { negativeCacheMs: 5_000, now: clock.now });
    const key = generateKey(KeyKind.write);
    expect(await reader.find(key)).toBeUndefined();
    await new DynamoKeyStore(documents, tableName, 0).create(key, 'cache-project', KeyKind.write);
    clock.advance(4_999);
    expect(await reader.find(key)).toBeUndefined();
    clock.advance(1);
    expect(await reader.find(key)).toEqual({ projectId: 'cache-project', kind: KeyKind.write });
  });

  it('keeps a revoked key working in another container only until its cache time is up', async () => {
    const key = generateKey(KeyKind.write);
    const admin = new DynamoKeyStore(documents, tableName, 0);
    await admin.create(key, 'revoke-project', KeyKind.write);
    const clock = manualClock();
    const warm = new DynamoKeyStore(documents, tableName, 30_000, { now: clock.now });
    expect(await warm.find(key)).toBeDefined();
    await admin.revokeByPrefix(key.slice(0, KEY_PREFIX_LENGTH), 'revoke-project');
    clock.advance(29_999);
    expect(await warm.find(key)).toBeDefined();
    clock.advance(1);
    expect(await warm.find(key)).toBeUndefined();
  });

  it('refuses to revoke by a prefix two keys share', async () => {
    const admin = new DynamoKeyStore(documents, tableName, 0);
    await admin.create('tmw_sharedprefix-one', 'shared', KeyKind.write);
    await admin.create('tmw_sharedprefix-two', 'shared', KeyKind.write);
    await expect(admin.revokeByPrefix('tmw_sharedpr')).rejects.toBeInstanceOf(AmbiguousKeyPrefixError);
  });

  it('refuses to revoke a whole key that was never created', async () => {
    const admin = new DynamoKeyStore(documents, tableName, 0);
    const key = generateKey(KeyKind.write);
    await expect(admin.revoke(key)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("revokes a whole key with --project only when it is that project's", async () => {
    const admin = new DynamoKeyStore(documents, tableName, 0);
    const key = generateKey(KeyKind.write);
    await admin.create(key, 'owner-project', KeyKind.write);
    await expect(admin.revoke(key, 'other-project')).rejects.toBeInstanceOf(NotFoundError);
    expect(await admin.find(key)).toEqual({ projectId: 'owner-project', kind: KeyKind.write });
    await admin.revoke(key, 'owner-project');
    expect(await admin.find(key)).toBeUndefined();
  });

  it('keeps the first date when two revocations of a key race', async () => {
    const admin = new DynamoKeyStore(documents, tableName, 0);
    const key = generateKey(KeyKind.secret);
    await admin.create(key, 'race-project', KeyKind.secret);
    const dates = await Promise.all([
      admin.revoke(key, undefined, new Date('2026-01-01T00:00:00Z')),
      admin.revoke(key, undefined, new Date('2026-02-01T00:00:00Z')),
    ]);
    expect(dates[0]).toBe(dates[1]);
    expect(['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z']).toContain(dates[0]);
  });
});
