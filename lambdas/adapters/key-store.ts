/** Project keys in the KeysTable, looked up by hash and cached briefly per container. */
import { timingSafeEqual } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KeysTable } from '../../resources/index.js';
import { BadRequestError } from '../core/errors.js';
import { apiKeyItemKey, isValidProjectId, PROJECT_ID_PATTERN } from '../core/item-keys.js';
import { hashKey, type KeyKind, type ProjectKey } from '../core/keys.js';

export type KeyRecord = ProjectKey & { readonly keyPrefix: string; readonly createdAt: string; readonly revokedAt?: string };

export interface KeyStore {
  find(key: string): Promise<ProjectKey | undefined>;
}

export class DynamoKeyStore implements KeyStore {
  readonly #cache = new Map<string, { value: ProjectKey | undefined; until: number }>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly cacheMs: number,
  ) {}

  async find(key: string): Promise<ProjectKey | undefined> {
    const hash = hashKey(key);
    const cached = this.#cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.value;
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: apiKeyItemKey(hash) }));
    const stored = typeof Item?.keyHash === 'string' ? Buffer.from(Item.keyHash, 'hex') : Buffer.alloc(0);
    const given = Buffer.from(hash, 'hex');
    // The lookup is by hash already; the constant-time compare guards against a store that matched loosely.
    const matches = stored.length === given.length && timingSafeEqual(stored, given);
    const value = matches && Item && !Item.revokedAt ? { projectId: String(Item.projectId), kind: Item.kind as KeyKind } : undefined;
    if (this.cacheMs > 0) this.#cache.set(hash, { value, until: Date.now() + this.cacheMs });
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
        Item: { ...apiKeyItemKey(hash), keyHash: hash, projectId, kind, keyPrefix: key.slice(0, 8), createdAt: now.toISOString() },
        ConditionExpression: 'attribute_not_exists(pk) OR projectId = :projectId',
        ExpressionAttributeValues: { ':projectId': projectId },
      }),
    );
  }

  async revoke(key: string, now = new Date()): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: apiKeyItemKey(hashKey(key)),
        UpdateExpression: 'SET revokedAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': now.toISOString() },
      }),
    );
    this.#cache.delete(hashKey(key));
  }

  async list(projectId: string): Promise<KeyRecord[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: KeysTable.globalIndexes[0].indexName,
        KeyConditionExpression: 'projectId = :projectId',
        ExpressionAttributeValues: { ':projectId': projectId },
      }),
    );
    return Items.map((item) => ({
      projectId: String(item.projectId),
      kind: item.kind as KeyKind,
      keyPrefix: String(item.keyPrefix),
      createdAt: String(item.createdAt),
      ...(item.revokedAt ? { revokedAt: String(item.revokedAt) } : {}),
    }));
  }
}
