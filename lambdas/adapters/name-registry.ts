/**
 * The registry of event names and sources a project uses, in the StateTable, and the cap on how
 * many there may be (`eventNames`, `sources` of the project's limits). Each name is one item keyed
 * by the name (`projectNameKey`): registering it is one TransactWriteItems that creates the item if
 * absent and adds 1 to a counter shard whose share of the cap is not used up, so the two never
 * disagree and concurrent containers never pass the cap together. A name once seen is cached for
 * the life of the container: a request with names this container knows costs no DynamoDB call, and
 * only a project's first use of a name (at most the cap of them ever) writes.
 *
 * A refused name is cached for `cacheMs` (the key cache time), as is "every counter shard is full",
 * after which an unknown name costs one GetItem (is it registered by another container?) and no
 * write, so a flood of new names past the cap does not write at all.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { jitteredBackoff, type Backoff } from '../core/back-pressure.js';
import { mapWithConcurrency } from '../core/concurrency.js';
import { ExpiringLru } from '../core/expiring-lru.js';
import { projectNameCountKey, projectNameKey, shardOf } from '../core/item-keys.js';
import { TRANSIENT_CANCELLATIONS } from './transaction-cancellations.js';
import { Caches, InFlight, Retries } from '../../resources/index.js';
import {
  NameKinds,
  nameCounterShards,
  shardShare,
  type NameKind,
  type NamesInUse,
  type ProjectCaps,
  type RefusedNames,
} from '../core/project-caps.js';

type Registration = 'registered' | 'known' | 'shard full';

export class DynamoNameRegistry {
  readonly #known = new ExpiringLru<string, true>(Caches.maxKnownNames);
  readonly #refused = new ExpiringLru<string, true>(Caches.maxKnownNames);
  readonly #full = new ExpiringLru<string, true>(Caches.maxKnownNames);

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** How long a refusal is trusted: a raised cap applies within it. */
    private readonly cacheMs: number,
    private readonly backoff: Backoff = jitteredBackoff,
    private readonly now: () => number = Date.now,
  ) {}

  /** Registers the names new to the project while its caps allow; returns those refused (new past a cap). */
  async admit(projectId: string, names: NamesInUse, caps: Pick<ProjectCaps, 'eventNames' | 'sources'>): Promise<RefusedNames> {
    const refusedOf = async (kind: NameKind) => {
      // Shards this request found full are not tried again for its other names, whatever the cache time.
      const fullShards = new Set<number>();
      const admitted = await mapWithConcurrency(names[kind], InFlight.namesPerRequest, (name) =>
        this.#admitOne(projectId, kind, name, caps[NameKinds[kind]], fullShards),
      );
      return new Set(names[kind].filter((_, i) => !admitted[i]));
    };
    const [event, source] = await Promise.all([refusedOf('event'), refusedOf('source')]);
    return { event, source };
  }

  /** True when the name may be used: known, or registered now within the cap. */
  async #admitOne(projectId: string, kind: NameKind, name: string, cap: number, fullShards: Set<number>): Promise<boolean> {
    const now = this.now();
    const key = `${projectId}\u0000${kind}\u0000${name}`;
    if (this.#known.get(key, now).found) return true;
    if (this.#refused.get(key, now).found) return false;
    const fullKey = `${projectId}\u0000${kind}`;
    const shards = nameCounterShards(cap);
    const full = this.#full.get(fullKey, now).found || fullShards.size >= shards;
    const admitted = full ? await this.#isRegistered(projectId, kind, name) : await this.#register(projectId, kind, name, cap, fullShards);
    if (fullShards.size >= shards) this.#full.set(fullKey, true, this.cacheMs, this.now());
    if (admitted) this.#known.set(key, true, Caches.knownNameMs, now);
    else this.#refused.set(key, true, this.cacheMs, now);
    return admitted;
  }

  async #isRegistered(projectId: string, kind: NameKind, name: string): Promise<boolean> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: projectNameKey(projectId, kind, name) }));
    return Item !== undefined;
  }

  /** Walks the counter shards from the name's own until one has room; every shard full means the cap is used up. */
  async #register(projectId: string, kind: NameKind, name: string, cap: number, fullShards: Set<number>): Promise<boolean> {
    const shards = nameCounterShards(cap);
    const first = shardOf(name, shards);
    for (let step = 0; step < shards; step++) {
      const shard = (first + step) % shards;
      if (fullShards.has(shard)) continue;
      const outcome = await this.#registerIn(projectId, kind, name, shard, shardShare(cap, shards, shard));
      if (outcome !== 'shard full') return true;
      fullShards.add(shard);
    }
    // Every shard full: the name is admitted only if it is registered already. Asked with a read, not
    // read off the cancellation reasons, which the API reference does not promise for every item of a
    // transaction that another item's condition cancelled.
    return this.#isRegistered(projectId, kind, name);
  }

  async #registerIn(projectId: string, kind: NameKind, name: string, shard: number, share: number): Promise<Registration> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: { ...projectNameKey(projectId, kind, name), name, registeredAt: new Date(this.now()).toISOString() },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Update: {
                  TableName: this.tableName,
                  Key: projectNameCountKey(projectId, kind, shard),
                  UpdateExpression: 'ADD #names :one',
                  ConditionExpression: 'attribute_not_exists(#names) OR #names < :share',
                  ExpressionAttributeNames: { '#names': 'names' },
                  ExpressionAttributeValues: { ':one': 1, ':share': share },
                },
              },
            ],
          }),
        );
        return 'registered';
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [nameCode, countCode] = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
        // Registered already (by another container, or before this one started): known, and counted once.
        if (nameCode === 'ConditionalCheckFailed') return 'known';
        if (countCode === 'ConditionalCheckFailed') return 'shard full';
        const transient = [nameCode, countCode].some((code) => TRANSIENT_CANCELLATIONS.has(code ?? ''));
        if (!transient || attempt + 1 >= Retries.nameRegisterAttempts) throw error;
        await this.backoff(attempt);
      }
    }
  }
}
