/**
 * The environment variables through which a function learns its resources and limits. The CDK
 * constructs set them from real resources; the local runtime sets them from what it created.
 */
export const EnvNames = {
  eventsTable: 'TIDEMARK_EVENTS_TABLE',
  stateTable: 'TIDEMARK_STATE_TABLE',
  aggregatesTable: 'TIDEMARK_AGGREGATES_TABLE',
  keysTable: 'TIDEMARK_KEYS_TABLE',
  eventsQueueUrl: 'TIDEMARK_EVENTS_QUEUE_URL',
  lakeBucket: 'TIDEMARK_LAKE_BUCKET',
  maxEventAgeDays: 'TIDEMARK_MAX_EVENT_AGE_DAYS',
  eventRetentionDays: 'TIDEMARK_EVENT_RETENTION_DAYS',
  rateLimitPerSecond: 'TIDEMARK_RATE_LIMIT_PER_SECOND',
  keyCacheSeconds: 'TIDEMARK_KEY_CACHE_SECONDS',
  /** Comma-separated origins allowed to call the public write routes; `*` when unset. */
  corsAllowOrigins: 'TIDEMARK_CORS_ALLOW_ORIGINS',
  /**
   * The HMAC key that signs listing cursors: generated once per stack at deploy (a Secrets Manager
   * generated secret) and once per data directory locally.
   */
  cursorSecret: 'TIDEMARK_CURSOR_SECRET',
  /** Local runtime only: where DynamoDB Local and fauxqs listen. */
  dynamodbEndpoint: 'TIDEMARK_DYNAMODB_ENDPOINT',
  sqsEndpoint: 'TIDEMARK_SQS_ENDPOINT',
} as const;
