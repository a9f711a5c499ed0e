/**
 * The console's only door to Tidemark: the public HTTP API (the same one SDKs and the CLI use)
 * and, against a local runtime, `/local/*`. Errors carry the API's own `error` code and message.
 */
import type { Settings } from './config';

export type Granularity = 'hour' | 'day';
export type GroupBy = 'none' | 'event' | 'source';
export type SeriesPoint = { bucket: string; event?: string; source?: string | null; count: number; sum: number; sumExact: string; uniqueDevices?: number };
export type AggregatesAnswer = { granularity: Granularity; from: string; to: string; series: SeriesPoint[] };

export type StoredEvent = {
  eventId: string;
  event: string;
  deviceId: string;
  sessionId: string;
  timestamp: string;
  receivedAt: string;
  userId?: string;
  source?: string;
  value?: number;
  properties: Record<string, unknown>;
  context?: Record<string, unknown>;
  [more: string]: unknown;
};
export type Page<K extends string, T> = { [key in K]: T[] } & { nextCursor: string | null };

export type Rejection = { index: number; reason: string; error: string; retryable: boolean };
/** A `conflict` found by the processor belongs to no request row: it has the event id instead of an index. */
export type RejectedRow = Omit<Rejection, 'index'> & { index?: number; eventId?: string; receivedAt: string; requestId: string; row: string };
export type IngestAnswer = { accepted: number; rejected: Rejection[] };
export type DeviceState = { deviceId: string; lastSeen: string; sessionId: string };
export type SessionSummary = { sessionId: string; firstEventAt: string; lastEventAt: string; events: number };

export type SessionStats = {
  sessions: number;
  events: number;
  bounces: number;
  bounceRate: number;
  averageDurationMs: number;
  medianDurationMs: number;
  eventsPerSession: number;
};
export type Session = { deviceId: string; sessionId: string; source: string | null; start: string; end: string; durationMs: number; events: number };
export type SessionsAnswer = {
  granularity: Granularity;
  from: string;
  to: string;
  total: SessionStats;
  series: (SessionStats & { bucket: string; source?: string | null })[];
  sessions: Session[];
};

export type FaultPlan = { processCrash?: number; aggregateCrash?: number; sqsSendFailure?: number; dynamoThrottle?: number };
type Counts = {
  accepted: number;
  rejected: number;
  stored: number;
  sessionStarts: number;
  redeliveries: number;
  resends: number;
  counted: number;
  sessionStartsCounted: number;
  refused: number;
};
export type Refusal = { at: string; path: string; status: number; error: string; message: string };
/** The local runtime's figures for the project of the key the console asks with. */
export type LocalStats = {
  at: string;
  projectId: string;
  queue: { visible: number; inFlight: number };
  deadLetters: { visible: number; inFlight: number };
  minutes: ({ minute: string } & Counts)[];
  totals: Counts;
  freshness: { p50Ms: number | null; p99Ms: number | null; samples: number };
  refusals: Refusal[];
  unattributedRefusals: Refusal[];
  recentErrors: { at: string; where: string; message: string }[];
  faults: { plan: FaultPlan; fired: Record<string, number> };
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | undefined | null>;

export class TidemarkApi {
  constructor(private readonly settings: Settings) {}

  aggregates(query: { from: string; to: string; event?: string; granularity: Granularity; groupBy: GroupBy }, signal?: AbortSignal): Promise<AggregatesAnswer> {
    return this.#get('/v1/aggregates', query, this.settings.secretKey, signal);
  }

  events(query: { from?: string; to?: string; event?: string; deviceId?: string; source?: string; cursor?: string | null; limit?: number }, signal?: AbortSignal) {
    return this.#get<Page<'events', StoredEvent>>('/v1/events', query, this.settings.secretKey, signal);
  }

  rejections(query: { from?: string; to?: string; cursor?: string | null; limit?: number }, signal?: AbortSignal) {
    return this.#get<Page<'rejections', RejectedRow> & { notKept: number }>('/v1/rejections', query, this.settings.secretKey, signal);
  }

  sessions(
    query: { from: string; to: string; granularity?: Granularity; groupBy?: 'none' | 'source'; deviceId?: string; limit?: number },
    signal?: AbortSignal,
  ): Promise<SessionsAnswer> {
    return this.#get('/v1/sessions', query, this.settings.secretKey, signal);
  }

  device(deviceId: string, signal?: AbortSignal): Promise<DeviceState> {
    return this.#get(`/v1/devices/${encodeURIComponent(deviceId)}`, {}, this.settings.secretKey, signal);
  }

  deviceSessions(deviceId: string, query: { from: string; to: string; cursor?: string | null }, signal?: AbortSignal) {
    return this.#get<{ deviceId: string; sessions: SessionSummary[]; nextCursor: string | null }>(
      `/v1/devices/${encodeURIComponent(deviceId)}/sessions`,
      query,
      this.settings.secretKey,
      signal,
    );
  }

  /** Sends a batch body as it is: the console shows exactly what the API answers per row. */
  send(body: string, path: '/v1/batch' | '/track/batch' = '/v1/batch'): Promise<IngestAnswer> {
    return this.#request('POST', path, {}, this.settings.writeKey, body);
  }

  localStats(signal?: AbortSignal): Promise<LocalStats> {
    return this.#request('GET', '/local/stats', {}, this.settings.secretKey, undefined, signal);
  }

  setFaults(plan: FaultPlan): Promise<LocalStats['faults']> {
    return this.#request('PUT', '/local/faults', {}, undefined, JSON.stringify(plan));
  }

  #get<T>(path: string, query: Query, key: string, signal?: AbortSignal): Promise<T> {
    return this.#request('GET', path, query, key, undefined, signal);
  }

  async #request<T>(method: string, path: string, query: Query, key?: string, body?: string, signal?: AbortSignal): Promise<T> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
    const url = `${this.settings.apiUrl.replace(/\/$/, '')}${path}${search.size > 0 ? `?${search}` : ''}`;
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, ...(signal ? { signal } : {}) });
    } catch (error) {
      throw new ApiError(0, 'network', `Cannot reach ${url}: ${(error as Error).message}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new ApiError(response.status, 'invalid_response', `HTTP ${response.status}: the answer is not JSON.`);
    }
    if (!response.ok) {
      const { error, message } = (parsed ?? {}) as { error?: string; message?: string };
      throw new ApiError(response.status, error ?? 'http_error', message ?? `HTTP ${response.status}`);
    }
    return parsed as T;
  }
}
