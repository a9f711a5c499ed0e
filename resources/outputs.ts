/**
 * Where a running Tidemark is found: the deployed stack's CloudFormation output names and the
 * local runtime's descriptor file, written by CDK and the local runtime and read by the ops CLI.
 */

/** CloudFormation output keys of the Tidemark stack. */
export const StackOutputs = {
  apiUrl: 'ApiUrl',
  dashboardUrl: 'DashboardUrl',
  alarmTopicArn: 'AlarmTopicArn',
  keysTableName: 'KeysTableName',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  eventsQueueUrl: 'EventsQueueUrl',
  eventsTableName: 'EventsTableName',
  aggregatesTableName: 'AggregatesTableName',
  lakeBucketName: 'LakeBucketName',
  lakeWorkgroupName: 'LakeWorkgroupName',
  lakeQueryPolicyArn: 'LakeQueryPolicyArn',
  consoleUrl: 'ConsoleUrl',
} as const;

export const LocalRuntimeFiles = {
  /** In the data directory while the local runtime runs: the local twin of the stack outputs (JSON). */
  descriptor: 'runtime.json',
} as const;

/** The local runtime's own settings (`npm start`). */
export const LocalRuntime = {
  /** The API's port on 127.0.0.1 unless `PORT` says otherwise. */
  defaultPort: 3000,
  /** Queue snapshots in the data directory are at least this far apart (more while the backlog is large). */
  queueSnapshotEveryMs: 2000,
  /** What the console's Overview keeps per project: minutes of counts, recent errors and refusals, freshness samples and their window. */
  keptMinutes: 60,
  keptErrors: 20,
  keptRefusals: 20,
  freshnessWindowMs: 5 * 60_000,
  keptFreshnessSamples: 10_000,
} as const;
