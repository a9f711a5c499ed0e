/**
 * A function's configuration, read from its environment once per container. Names a function was
 * not given stay undefined, and the adapter that needs one fails with a clear message.
 */
import { Caches, EnvNames, Limits } from '../resources/index.js';
import { parseAllowOrigins } from './http/cors.js';

export type TidemarkConfig = {
  readonly eventsTable?: string;
  readonly stateTable?: string;
  readonly aggregatesTable?: string;
  readonly keysTable?: string;
  readonly eventsQueueUrl?: string;
  readonly lakeBucket?: string;
  readonly dynamodbEndpoint?: string;
  readonly sqsEndpoint?: string;
  readonly cursorSecret?: string;
  readonly maxEventAgeDays: number;
  readonly eventRetentionDays: number;
  readonly rateLimitPerSecond: number;
  readonly keyCacheSeconds: number;
  /** Origins allowed to call the public write routes from a browser. */
  readonly corsAllowOrigins: readonly string[];
};

type Env = Readonly<Record<string, string | undefined>>;

export function configFromEnv(env: Env): TidemarkConfig {
  const number = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
    return value;
  };
  return {
    eventsTable: env[EnvNames.eventsTable],
    stateTable: env[EnvNames.stateTable],
    aggregatesTable: env[EnvNames.aggregatesTable],
    keysTable: env[EnvNames.keysTable],
    eventsQueueUrl: env[EnvNames.eventsQueueUrl],
    lakeBucket: env[EnvNames.lakeBucket],
    dynamodbEndpoint: env[EnvNames.dynamodbEndpoint],
    sqsEndpoint: env[EnvNames.sqsEndpoint],
    cursorSecret: env[EnvNames.cursorSecret],
    maxEventAgeDays: number(EnvNames.maxEventAgeDays, Limits.maxEventAgeDays),
    eventRetentionDays: number(EnvNames.eventRetentionDays, Limits.eventRetentionDays),
    rateLimitPerSecond: number(EnvNames.rateLimitPerSecond, Limits.projectRateLimitPerSecond),
    keyCacheSeconds: number(EnvNames.keyCacheSeconds, Caches.keySeconds),
    corsAllowOrigins: parseAllowOrigins(env[EnvNames.corsAllowOrigins]),
  };
}

export function required<K extends keyof TidemarkConfig>(config: TidemarkConfig, name: K): NonNullable<TidemarkConfig[K]> {
  const value = config[name];
  if (value === undefined) throw new Error(`Configuration '${String(name)}' is missing from this function's environment.`);
  return value as NonNullable<TidemarkConfig[K]>;
}
