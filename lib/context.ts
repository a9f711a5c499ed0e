/**
 * The CDK app's context flags (`-c name=value`): each parsed, range-checked and turned into stack
 * props, so a wrong value fails `cdk synth` with a message naming the flag instead of being
 * ignored or deployed. The README's "Deploying" section lists the same flags.
 */
import type { TidemarkStackProps } from './tidemark-stack.js';

export class ContextError extends Error {
  constructor(flag: string, value: unknown, expected: string) {
    super(`Invalid context -c ${flag}=${String(value)}: expected ${expected}.`);
    this.name = 'ContextError';
  }
}

type Lookup = (name: string) => unknown;

/** Every flag, its default and its range, as the README documents them. */
export const ContextFlags = {
  stackName: { default: 'Tidemark', range: 'letters, digits and hyphens, starting with a letter, at most 128' },
  stageName: { default: 'v1', range: 'letters, digits and underscores, at most 128' },
  alarmEmail: { default: '(none)', range: 'an e-mail address' },
  maxEventAgeDays: { default: 5, range: 'a whole number of days from 1 to 365, at most eventRetentionDays' },
  eventRetentionDays: { default: 35, range: 'a whole number of days from 1 to 3650' },
  projectRateLimitPerSecond: { default: 100, range: 'a whole number from 0 (off) to 100000' },
  throttlingRateLimit: { default: 1000, range: 'a whole number of requests per second from 1 to 10000' },
  throttlingBurstLimit: { default: 2000, range: 'a whole number of requests from 1 to 5000' },
  corsAllowOrigins: { default: '*', range: "'*' or a comma-separated list of http(s) origins" },
  apiGatewayCloudWatchRole: { default: false, range: 'true or false' },
  billing: { default: 'on-demand', range: "'on-demand' or 'provisioned'" },
  console: { default: false, range: 'true or false' },
} as const;

export type ContextFlag = keyof typeof ContextFlags;

const text = (flag: ContextFlag, value: unknown, pattern: RegExp): string => {
  if (typeof value !== 'string' || !pattern.test(value)) throw new ContextError(flag, value, ContextFlags[flag].range);
  return value;
};

const wholeNumber = (flag: ContextFlag, value: unknown, min: number, max: number): number => {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(number) || number < min || number > max) throw new ContextError(flag, value, ContextFlags[flag].range);
  return number;
};

const bool = (flag: ContextFlag, value: unknown): boolean => {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ContextError(flag, value, ContextFlags[flag].range);
};

const origins = (value: unknown): string[] => {
  const list = (Array.isArray(value) ? value : String(value).split(',')).map((origin) => String(origin).trim()).filter(Boolean);
  const valid = list.length > 0 && (list.join() === '*' || list.every((origin) => /^https?:\/\/[^/\s*,]+$/.test(origin)));
  if (!valid) throw new ContextError('corsAllowOrigins', value, ContextFlags.corsAllowOrigins.range);
  return list;
};

export type AppSettings = {
  readonly stackName: string;
  readonly props: TidemarkStackProps;
  /** `-c console=true`: deploy the console from `console/dist/`. */
  readonly withConsole: boolean;
};

/** Reads every flag; unknown values throw a ContextError, unset ones keep the stack's defaults. */
export function settingsFromContext(lookup: Lookup): AppSettings {
  const given = (flag: ContextFlag) => {
    const value = lookup(flag);
    return value === undefined || value === '' ? undefined : value;
  };
  const read = <T>(flag: ContextFlag, parse: (value: unknown) => T): T | undefined => {
    const value = given(flag);
    return value === undefined ? undefined : parse(value);
  };
  const maxEventAgeDays = read('maxEventAgeDays', (v) => wholeNumber('maxEventAgeDays', v, 1, 365));
  const eventRetentionDays = read('eventRetentionDays', (v) => wholeNumber('eventRetentionDays', v, 1, 3650));
  if ((maxEventAgeDays ?? ContextFlags.maxEventAgeDays.default) > (eventRetentionDays ?? ContextFlags.eventRetentionDays.default)) {
    throw new ContextError('maxEventAgeDays', maxEventAgeDays, ContextFlags.maxEventAgeDays.range);
  }
  const optional = <K extends keyof TidemarkStackProps>(key: K, value: TidemarkStackProps[K] | undefined) =>
    value === undefined ? {} : ({ [key]: value } as Pick<TidemarkStackProps, K>);
  return {
    stackName: read('stackName', (v) => text('stackName', v, /^[A-Za-z][A-Za-z0-9-]{0,127}$/)) ?? ContextFlags.stackName.default,
    withConsole: read('console', (v) => bool('console', v)) ?? false,
    props: {
      ...optional(
        'stageName',
        read('stageName', (v) => text('stageName', v, /^\w{1,128}$/)),
      ),
      ...optional(
        'alarmEmail',
        read('alarmEmail', (v) => text('alarmEmail', v, /^[^@\s]+@[^@\s]+\.[^@\s]+$/)),
      ),
      ...optional('maxEventAgeDays', maxEventAgeDays),
      ...optional('eventRetentionDays', eventRetentionDays),
      ...optional(
        'projectRateLimitPerSecond',
        read('projectRateLimitPerSecond', (v) => wholeNumber('projectRateLimitPerSecond', v, 0, 100_000)),
      ),
      ...optional(
        'throttlingRateLimit',
        read('throttlingRateLimit', (v) => wholeNumber('throttlingRateLimit', v, 1, 10_000)),
      ),
      ...optional(
        'throttlingBurstLimit',
        read('throttlingBurstLimit', (v) => wholeNumber('throttlingBurstLimit', v, 1, 5_000)),
      ),
      ...optional('corsAllowOrigins', read('corsAllowOrigins', origins)),
      ...optional(
        'billing',
        read('billing', (v) => text('billing', v, /^(on-demand|provisioned)$/) as 'on-demand' | 'provisioned'),
      ),
      ...optional(
        'createApiGatewayCloudWatchRole',
        read('apiGatewayCloudWatchRole', (v) => bool('apiGatewayCloudWatchRole', v)),
      ),
    },
  };
}
