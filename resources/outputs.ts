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
