/**
 * What the API answers, defined once: the read and ingest functions build these, the console and
 * the CLI read them, and the SDK's own copy (`sdk/src/answers.ts`, published with it) is checked equal
 * by a type test (test/unit/api-answers.test.ts). `docs/openapi.json` describes the same shapes.
 */

export type Granularity = 'hour' | 'day';
export type GroupBy = 'none' | 'event' | 'source';

/** One row a request sent that was not accepted; `index` counts the request's rows from 0. */
export type Rejection = { readonly index: number; readonly reason: string; readonly error: string; readonly retryable: boolean };

/** POST /v1/batch, /v1/track, /v1/import, /track, /track/batch (202). */
export type IngestAnswer = { readonly accepted: number; readonly rejected: readonly Rejection[] };

export type SeriesPoint = {
  bucket: string;
  event?: string;
  source?: string | null;
  count: number;
  /** The nearest JSON number to the exact sum; equal to it whenever the sum is exact in a double. */
  sum: number;
  /** The exact sum as decimal text (numeric contract, docs/reliability.md). */
  sumExact: string;
  uniqueDevices?: number;
};

/** GET /v1/aggregates. */
export type AggregatesAnswer = {
  readonly granularity: Granularity;
  readonly from: string;
  readonly to: string;
  readonly series: readonly SeriesPoint[];
};

/** A stored event as the API lists it (the store's own attributes left out). */
export type EventAnswer = {
  readonly eventId: string;
  readonly event: string;
  readonly deviceId: string;
  readonly sessionId: string;
  readonly timestamp: string;
  readonly originalTimestamp: string;
  readonly receivedAt: string;
  readonly userId?: string;
  readonly source?: string;
  readonly value?: number;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly context?: Readonly<Record<string, unknown>>;
};

/** A listing's page: its items under `key`, and the cursor of the next page (null at the end). */
export type Page<K extends string, T> = { readonly [key in K]: readonly T[] } & { readonly nextCursor: string | null };

/** A rejected row kept for audit; a `conflict` found by the processor belongs to no request row: it has the event id instead of an index. */
export type RejectedRowAnswer = Omit<Rejection, 'index'> & {
  readonly index?: number;
  readonly eventId?: string;
  readonly receivedAt: string;
  readonly requestId: string;
  readonly row: string;
};

/** GET /v1/rejections: a page of rejected rows, and how many rows of the range's days were not kept (past the project's daily cap). */
export type RejectionsAnswer = Page<'rejections', RejectedRowAnswer> & { readonly notKept: number };

/** GET /v1/devices/{deviceId}: where and when the device was last seen. */
export type DeviceState = { readonly deviceId: string; readonly lastSeen: string; readonly sessionId: string };

/** One session of GET /v1/devices/{deviceId}/sessions. */
export type DeviceSession = {
  readonly sessionId: string;
  readonly firstEventAt: string;
  readonly lastEventAt: string;
  readonly events: number;
};
export type DeviceSessionsAnswer = Page<'sessions', DeviceSession> & { readonly deviceId: string };

export type SessionStats = {
  sessions: number;
  events: number;
  /** One-event sessions. */
  bounces: number;
  bounceRate: number;
  averageDurationMs: number;
  medianDurationMs: number;
  eventsPerSession: number;
};

export type SessionSeriesPoint = SessionStats & { bucket: string; source?: string | null };

/** One session of GET /v1/sessions. */
export type SessionSummary = {
  deviceId: string;
  sessionId: string;
  /** The source of the session's first event (null when it had none). */
  source: string | null;
  /** First and last stored event, ISO. */
  start: string;
  end: string;
  durationMs: number;
  events: number;
};

/** GET /v1/sessions. */
export type SessionsAnswer = {
  readonly granularity: Granularity;
  readonly from: string;
  readonly to: string;
  readonly deviceId?: string;
  readonly total: SessionStats;
  readonly series: readonly SessionSeriesPoint[];
  readonly sessions: readonly SessionSummary[];
};

/** One minute of the local pipeline's figures for a project (GET /local/stats). */
export type MinuteCounts = {
  minute: string;
  /** Rows the ingest API accepted (202) and rejected one by one. */
  accepted: number;
  rejected: number;
  /** The client's events stored for the first time. */
  stored: number;
  /** `$session_start`s the processor made (one per new session): stored and counted, never accepted. */
  sessionStarts: number;
  /** The same SQS message processed again (a retry after a failure or an expired visibility): dropped. */
  redeliveries: number;
  /** A client sent an event it had sent before (same id, a new request): dropped. */
  resends: number;
  /** The client's events counted by the aggregator; `$session_start`s are in `sessionStartsCounted`. */
  counted: number;
  sessionStartsCounted: number;
  /** Whole requests refused (4xx) before any row was looked at. */
  refused: number;
};
export type Totals = Omit<MinuteCounts, 'minute'>;

/** A minute, or a run, in which nothing happened. */
export const zeroTotals = (): Totals => ({
  accepted: 0,
  rejected: 0,
  stored: 0,
  sessionStarts: 0,
  redeliveries: 0,
  resends: 0,
  counted: 0,
  sessionStartsCounted: 0,
  refused: 0,
});

export type RecentError = { at: string; where: string; message: string };
export type Refusal = { at: string; path: string; status: number; error: string; message: string };

/** The local runtime's failure switches (PUT /local/faults): probabilities from 0 to 1. */
export type FaultSwitches = { processCrash?: number; aggregateCrash?: number; sqsSendFailure?: number; dynamoThrottle?: number };
export type FaultState = { readonly plan: FaultSwitches; readonly fired: Readonly<Record<string, number>> };

/** GET /local/stats: the local runtime's figures for the project of the key it is asked with. */
export type LocalStats = {
  at: string;
  projectId: string;
  queue: { visible: number; inFlight: number };
  deadLetters: { visible: number; inFlight: number };
  minutes: MinuteCounts[];
  totals: Totals;
  /** Accepted to counted over the last five minutes, ms; null before anything was counted. */
  freshness: { p50Ms: number | null; p99Ms: number | null; samples: number };
  /** The last whole-request refusals of this project's keys, newest first. */
  refusals: Refusal[];
  /** Refusals no project can be told from (no key, an unknown or revoked one): shown to every project. */
  unattributedRefusals: Refusal[];
  recentErrors: RecentError[];
  faults: FaultState;
};
