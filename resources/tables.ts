/**
 * The shape of every DynamoDB table, in one place. The CDK constructs (`lib/`) and the local
 * runtime (`local/provision.ts`) both build their tables from these objects, so what `npm start`
 * creates cannot drift from what `cdk deploy` creates.
 */

export type KeyAttribute = { readonly name: string; readonly type: 'S' | 'N' };

export type IndexDefinition = {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attributes copied into the index besides the keys; small on purpose, an index write costs a unit. */
  readonly nonKeyAttributes: readonly string[];
};

export type TableDefinition = {
  /** Construct id on AWS and the table name prefix locally. */
  readonly id: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly timeToLiveAttribute: string;
  readonly stream?: 'NEW_IMAGE';
  readonly globalIndexes: readonly IndexDefinition[];
};

/** Stored events. Identity is `pk = projectId#eventId`, the key every conditional write is made on. */
export const EventsTable = {
  id: 'EventsTable',
  partitionKey: { name: 'pk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
  stream: 'NEW_IMAGE',
  globalIndexes: [
    {
      // `listPk = projectId#YYYY-MM-DD`, `listSk = ISO timestamp#eventId`: newest-first listing by day.
      indexName: 'byDay',
      partitionKey: { name: 'listPk', type: 'S' },
      sortKey: { name: 'listSk', type: 'S' },
      nonKeyAttributes: ['event', 'deviceId', 'source'],
    },
  ],
} as const satisfies TableDefinition;

/** Short-lived and per-device state: session locks, live device state, rejected rows kept for audit. */
export const StateTable = {
  id: 'StateTable',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
  globalIndexes: [],
} as const satisfies TableDefinition;

/** Counters, unique-device markers and the stream checkpoints that make counting exactly once. */
export const AggregatesTable = {
  id: 'AggregatesTable',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
  globalIndexes: [],
} as const satisfies TableDefinition;

/** Project keys, stored as SHA-256 hashes of the key: `pk = KEY#<hash>`. */
export const KeysTable = {
  id: 'KeysTable',
  partitionKey: { name: 'pk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
  globalIndexes: [
    {
      indexName: 'byProject',
      partitionKey: { name: 'projectId', type: 'S' },
      sortKey: { name: 'createdAt', type: 'S' },
      nonKeyAttributes: ['kind', 'revokedAt', 'keyPrefix'],
    },
  ],
} as const satisfies TableDefinition;

export const allTables: readonly TableDefinition[] = [EventsTable, StateTable, AggregatesTable, KeysTable];

/**
 * `-c billing=provisioned`: every table and index on provisioned capacity under Application Auto
 * Scaling, tracking this utilisation between these bounds (units per second). Cheaper than
 * on-demand for steady traffic; the bench prices it at the same target (`bench/all-in-cost.ts`).
 */
export const ProvisionedCapacity = {
  targetUtilizationPercent: 70,
  minUnits: 5,
  maxUnits: 40_000,
} as const;
