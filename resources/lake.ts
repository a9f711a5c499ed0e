/**
 * The event lake: every stored event as Parquet in S3 (a folder of the data directory locally),
 * Hive-partitioned by project and event day, one schema read by the writer, the Glue table, the
 * Athena and DuckDB views and the compaction alike.
 */

/** A lake column: its Parquet type (as hyparquet-writer names it), Glue/Athena type and DuckDB type. */
export type LakeColumn = {
  readonly name: string;
  readonly parquet: (typeof ColumnKinds)[LakeColumnKind]['parquet'];
  readonly glue: LakeColumnKind;
  readonly duckdb: (typeof ColumnKinds)[LakeColumnKind]['duckdb'];
  readonly required: boolean;
};

const ColumnKinds = {
  string: { parquet: 'STRING', duckdb: 'VARCHAR' },
  double: { parquet: 'DOUBLE', duckdb: 'DOUBLE' },
  int: { parquet: 'INT32', duckdb: 'INTEGER' },
  boolean: { parquet: 'BOOLEAN', duckdb: 'BOOLEAN' },
  timestamp: { parquet: 'TIMESTAMP', duckdb: 'TIMESTAMP' },
} as const;
export type LakeColumnKind = keyof typeof ColumnKinds;

const column = (name: string, kind: LakeColumnKind, required = false): LakeColumn => ({
  name,
  parquet: ColumnKinds[kind].parquet,
  glue: kind,
  duckdb: ColumnKinds[kind].duckdb,
  required,
});

/**
 * Columns of an event row, in file order. Names are lower case because Glue lower-cases column
 * names (Athena docs, "Names for tables, databases, and columns"), so the same SQL runs on both.
 * Timestamps are UTC; properties and context are JSON text (query them with json_extract on
 * Athena, `->>` on DuckDB).
 */
export const LakeEventColumns: readonly LakeColumn[] = [
  column('eventid', 'string', true),
  column('event', 'string', true),
  column('deviceid', 'string', true),
  column('userid', 'string'),
  column('sessionid', 'string', true),
  column('source', 'string'),
  column('value', 'double'),
  column('timestamp', 'timestamp', true),
  column('originaltimestamp', 'timestamp', true),
  column('receivedat', 'timestamp', true),
  column('syncedat', 'timestamp'),
  column('library', 'string'),
  column('os', 'string'),
  column('properties', 'string', true),
  column('context', 'string'),
];

/**
 * Columns of a rejected row, kept whole (the API's audit store keeps 2 KB for 30 days): partitioned
 * by project and receive day, replayable through `/v1/import` by `tidemark rejections replay`.
 * `sentat` (the batch's `sentAt`) and `replayrow` came later, so they are last and nullable: Athena
 * reads Parquet columns by name and takes columns added at the end of a table, NULL in older files
 * (Athena docs, "Handle schema updates"); DuckDB's view unions files by name (cli/lake/duckdb-engine.ts).
 * `replayrow` is the row in Tidemark's own shape when the route translated it (OpenPanel's
 * `/track`): what a replay through `/v1/import` sends, while `row` stays as the client sent it.
 */
export const LakeRejectionColumns: readonly LakeColumn[] = [
  column('receivedat', 'timestamp', true),
  column('requestid', 'string', true),
  column('rowindex', 'int', true),
  column('reason', 'string', true),
  column('error', 'string', true),
  column('retryable', 'boolean', true),
  column('row', 'string', true),
  column('sentat', 'timestamp'),
  column('replayrow', 'string'),
];

/** Hive partition keys, in path order: `events/project=P/dt=YYYY-MM-DD/…`. */
export const LakePartitions = { project: 'project', day: 'dt' } as const;

export const LakeLayout = {
  /** Prefix of raw and compacted event files. */
  eventsPrefix: 'events',
  /** Prefix of rejected rows, kept whole. */
  rejectionsPrefix: 'rejections',
  /**
   * Names of the files a compaction writes (`compacted-<digest>.parquet`; `compacted.parquet` before
   * 2026-12-06): one per closed project-day once compaction has run.
   */
  compactedFilePrefix: 'compacted',
  /** Local runtime: the lake lives in this folder of TIDEMARK_DATA_DIR. */
  localFolder: 'lake',
} as const;

export const LakeFunction = {
  timeoutSeconds: 60,
  memoryMb: 1024,
} as const;

/**
 * The daily compaction (`lambdas/lake/compaction-handler.ts`): an EventBridge schedule on AWS, a
 * timer in the local runtime, at the same UTC time. A project-day is compacted in memory, so the
 * memory bounds the largest day (about 1.5 million events at 3,008 MB; docs/performance.md, "Compaction"). A run that
 * cannot finish every day stops starting new ones `stopReserveSeconds` before its timeout; the next
 * run goes on where it stopped, since compacted days are skipped.
 */
export const LakeCompaction = {
  /** Every day at 01:30 UTC: late stream batches of the day before have landed (the writer's window is 60 s). */
  hourUtc: 1,
  minuteUtc: 30,
  timeoutSeconds: 900,
  memoryMb: 3008,
  stopReserveSeconds: 120,
  /**
   * Lambda runs a failed invocation again this many times (the asynchronous invocation's
   * MaximumRetryAttempts, 0 to 2; Lambda docs, "How Lambda handles errors and retries with
   * asynchronous invocation"), and the function's errors alarm has fired. The retry policy of the
   * rule's target is not this: it covers only EventBridge handing the event to Lambda (EventBridge
   * docs, "How EventBridge retries delivering events"), and stays at its default.
   */
  retryAttempts: 2,
} as const;

/**
 * The lake writer's own mapping on the events table's stream, independent of the aggregator's: a
 * larger batch and window means fewer, larger Parquet objects (fewer S3 PUTs and Athena opens).
 * Lambda's DynamoDB stream mappings take up to 10,000 records and a 300 s window (Lambda docs,
 * "Using AWS Lambda with Amazon DynamoDB": BatchSize, MaximumBatchingWindowInSeconds).
 */
export const LakeStreamMapping = {
  batchSize: 10_000,
  maxBatchingWindowSeconds: 60,
  retryAttempts: 20,
  bisectBatchOnError: false,
  startingPosition: 'TRIM_HORIZON',
  eventNames: ['INSERT'],
} as const;

export const LakeBucket = {
  id: 'LakeBucket',
  /** Days before objects move to S3 Standard-IA (30 is the minimum S3 accepts for that transition). */
  infrequentAccessAfterDays: 30,
  /** Days before objects move to Glacier Instant Retrieval (still queryable by Athena). */
  glacierInstantAfterDays: 90,
} as const;

export const LakeCatalog = {
  databaseName: 'tidemark_lake',
  eventsTableName: 'events_raw',
  rejectionsTableName: 'rejections',
  /** Partition projection covers days from here on; later days need no catalog update. */
  projectionStartDay: '2020-01-01',
  /**
   * The last projected day, relative to the query's time (Athena's `NOW` syntax, as in `NOW-3YEARS`:
   * CDK docs, DatePartitionProjectionConfigurationProps). A day ahead of `NOW`, not `NOW`: ingest keeps
   * event times up to `Limits.futureToleranceMs` ahead of receipt, so in the minutes before midnight UTC
   * an event lands in tomorrow's partition, which a range ending at `NOW` hides from every query until then.
   */
  projectionEndDay: 'NOW+1DAYS',
} as const;

export const LakeWorkgroup = {
  /** Athena stops a query that would scan more than this (the per-query data usage control). */
  bytesScannedCutoffPerQuery: 10 * 1024 ** 3,
  /** Query results are kept this many days. */
  resultsRetentionDays: 7,
} as const;
