/**
 * Project keys in the KeysTable, looked up by hash and cached briefly per container.
 *
 * Revocation bound: a warm container keeps answering from its cache for up to `cacheMs` (30 s
 * by default, `TIDEMARK_KEY_CACHE_SECONDS`), so a revoked key stops working everywhere within
 * that time. Unknown keys are cached for less (`negativeCacheMs`, 5 s), so a new key works soon,
 * and the cache holds at most `maxEntries` keys (least recently used evicted), so a flood of
 * random keys costs bounded memory.
 */
import { timingSafeEqual } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Caches, KeysTable } from '../../resources/index.js';
import { ExpiringLru } from '../core/expiring-lru.js';
import { BadRequestError, NotFoundError, TidemarkError } from '../core/errors.js';
import { apiKeyItemKey, isValidProjectId, PROJECT_ID_PATTERN } from '../core/item-keys.js';
import { hashKey, type KeyKind, type ProjectKey } from '../core/keys.js';

/** How much of a key `keys list` shows, and `keys revoke` takes to name it. */
export const KEY_PREFIX_LENGTH = 12;

export type KeyCacheLimits = {
  readonly maxEntries: number;
  readonly negativeCacheMs: number;
  /** The clock cache entries expire by (tests pass their own). */
  readonly now: () => number;
};
const DEFAULT_CACHE_LIMITS: KeyCacheLimits = { maxEntries: Caches.maxKeys, negativeCacheMs: Caches.unknownKeyMs, now: Date.now };

/** More than one key carries the prefix given to `keys revoke`. */
export class AmbiguousKeyPrefixError extends TidemarkError {
  constructor(prefix: string, matches: number) {
    super(`${matches} keys start with '${prefix}'; name the project (--project) or give the whole key.`, 409, 'ambiguous_key_prefix');
  }
}

export type KeyRecord = ProjectKey & { readonly keyPrefix: string; readonly createdAt: string; readonly revokedAt?: string };

export interface KeyStore {
  find(key: string): Promise<ProjectKey | undefined>;
}

export class DynamoKeyStore implements KeyStore {
  readonly #cache: ExpiringLru<string, ProjectKey | undefined>;
  readonly #negativeCacheMs: number;
  readonly #now: () => number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly cacheMs: number,
    limits: Partial<KeyCacheLimits> = {},
  ) {
    const { maxEntries, negativeCacheMs, now } = { ...DEFAULT_CACHE_LIMITS, ...limits };
    this.#cache = new ExpiringLru(maxEntries);
    this.#negativeCacheMs = Math.min(negativeCacheMs, cacheMs);
    this.#now = now;
  }

  /** Keys held in this container's cache. */
  get cachedKeys(): number {
    return this.#cache.size;
  }

  async find(key: string): Promise<ProjectKey | undefined> {
    const hash = hashKey(key);
    const cached = this.#cache.get(hash, this.#now());
    if (cached.found) return cached.value;
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: apiKeyItemKey(hash) }));
    const stored = typeof Item?.keyHash === 'string' ? Buffer.from(Item.keyHash, 'hex') : Buffer.alloc(0);
    const given = Buffer.from(hash, 'hex');
    // The lookup is by hash already; the constant-time compare guards against a store that matched loosely.
    const matches = stored.length === given.length && timingSafeEqual(stored, given);
    const value = matches && Item && !Item.revokedAt ? { projectId: String(Item.projectId), kind: Item.kind as KeyKind } : undefined;
    this.#cache.set(hash, value, value ? this.cacheMs : this.#negativeCacheMs, this.#now());
    return value;
  }

  /**
   * Stores a key's hash; the plaintext is never stored. Idempotent for the same key. Creating a key
   * is what creates a project, so this is where a project id is validated: item keys join it with
   * `#`, and an id outside `PROJECT_ID_PATTERN` could reach into another project's keys.
   */
  async create(key: string, projectId: string, kind: KeyKind, now = new Date()): Promise<void> {
    if (!isValidProjectId(projectId)) {
      throw new BadRequestError(
        `Project id '${projectId.slice(0, 80)}' is not valid: use 1 to 63 lowercase letters, digits, '-' or '_', starting with a letter or digit (${PROJECT_ID_PATTERN}).`,
        'invalid_project_id',
      );
    }
    const hash = hashKey(key);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...apiKeyItemKey(hash),
          keyHash: hash,
          projectId,
          kind,
          keyPrefix: key.slice(0, KEY_PREFIX_LENGTH),
          createdAt: now.toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(pk) OR projectId = :projectId',
        ExpressionAttributeValues: { ':projectId': projectId },
      }),
    );
  }

  /**
   * Revokes the key (of `projectId` only, when given); returns when it was revoked (earlier than
   * `now` when it already was: the first revocation stands).
   */
  async revoke(key: string, projectId?: string, now = new Date()): Promise<string> {
    try {
      return await this.#revokeHash(hashKey(key), now, projectId);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new NotFoundError(`No such key${projectId ? ` in project ${projectId}` : ''}: check it against \`keys list\`.`);
    }
  }

  /**
   * Revokes the one key whose listed prefix (as `keys list` shows it) is `prefix`, looked up in
   * `projectId` when given, else across the table (a scan: the keys table is small, and this is
   * an operator's command). Returns the revoked key's record.
   */
  async revokeByPrefix(prefix: string, projectId?: string, now = new Date()): Promise<KeyRecord> {
    const items = projectId ? await this.#itemsOfProject(projectId) : await this.#itemsWithPrefix(prefix);
    const matches = items.filter((item) => item.keyPrefix === prefix);
    if (matches.length === 0) throw new NotFoundError(`No key starts with '${prefix}'${projectId ? ` in project ${projectId}` : ''}.`);
    if (matches.length > 1) throw new AmbiguousKeyPrefixError(prefix, matches.length);
    const [item] = matches;
    // Items from the project index carry the table key (pk) but not keyHash.
    const revokedAt = await this.#revokeItem({ pk: String(item!.pk) }, now);
    return { ...recordOf(item!), revokedAt };
  }

  async #revokeHash(hash: string, now: Date, projectId?: string): Promise<string> {
    const revokedAt = await this.#revokeItem(apiKeyItemKey(hash), now, projectId);
    this.#cache.delete(hash);
    return revokedAt;
  }

  /** Revoking again keeps the first date: when a key stopped working is what an audit asks. */
  async #revokeItem(key: { pk: string }, now: Date, projectId?: string): Promise<string> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
        // An update of a missing item would create one: a "revoked" key that never existed.
        ConditionExpression: projectId === undefined ? 'attribute_exists(pk)' : 'attribute_exists(pk) AND projectId = :projectId',
        ExpressionAttributeValues: { ':now': now.toISOString(), ...(projectId === undefined ? {} : { ':projectId': projectId }) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return String(Attributes?.revokedAt ?? now.toISOString());
  }

  async #itemsWithPrefix(prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let after: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'keyPrefix = :prefix',
          ExpressionAttributeValues: { ':prefix': prefix },
          ExclusiveStartKey: after,
        }),
      );
      items.push(...(page.Items ?? []));
      after = page.LastEvaluatedKey;
    } while (after);
    return items;
  }

  async #itemsOfProject(projectId: string): Promise<Record<string, unknown>[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: KeysTable.globalIndexes[0].indexName,
        KeyConditionExpression: 'projectId = :projectId',
        ExpressionAttributeValues: { ':projectId': projectId },
      }),
    );
    return Items;
  }

  async list(projectId: string): Promise<KeyRecord[]> {
    return (await this.#itemsOfProject(projectId)).map(recordOf);
  }
}

const recordOf = (item: Record<string, unknown>): KeyRecord => ({
  projectId: String(item.projectId),
  kind: item.kind as KeyKind,
  keyPrefix: String(item.keyPrefix),
  createdAt: String(item.createdAt),
  ...(item.revokedAt ? { revokedAt: String(item.revokedAt) } : {}),
});
