/**
 * The console's only door to Tidemark: the public HTTP API (the same one SDKs and the CLI use)
 * and, against a local runtime, `/local/*`. Errors carry the API's own `error` code and message.
 */
import type { Settings } from './config';

export type {
  DeviceSession,
  EventAnswer,
  FaultSwitches,
  Granularity,
  GroupBy,
  IngestAnswer,
  LocalStats,
  Refusal,
  SeriesPoint,
  SessionSeriesPoint,
  SessionStats,
} from '../../resources/api-answers';
import type {
  AggregatesAnswer,
  DeviceSessionsAnswer,
  DeviceState,
  EventAnswer,
  FaultState,
  FaultSwitches,
  Granularity,
  GroupBy,
  IngestAnswer,
  LocalStats,
  Page,
  RejectionsAnswer,
  SessionsAnswer,
} from '../../resources/api-answers';
export { zeroTotals } from '../../resources/api-answers';

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

  aggregates(
    query: { from: string; to: string; event?: string; granularity: Granularity; groupBy: GroupBy },
    signal?: AbortSignal,
  ): Promise<AggregatesAnswer> {
    return this.#get('/v1/aggregates', query, this.settings.secretKey, signal);
  }

  events(
    query: { from?: string; to?: string; event?: string; deviceId?: string; source?: string; cursor?: string | null; limit?: number },
    signal?: AbortSignal,
  ) {
    return this.#get<Page<'events', EventAnswer>>('/v1/events', query, this.settings.secretKey, signal);
  }

  rejections(query: { from?: string; to?: string; cursor?: string | null; limit?: number }, signal?: AbortSignal) {
    return this.#get<RejectionsAnswer>('/v1/rejections', query, this.settings.secretKey, signal);
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
    return this.#get<DeviceSessionsAnswer>(`/v1/devices/${encodeURIComponent(deviceId)}/sessions`, query, this.settings.secretKey, signal);
  }

  /** Sends a batch body as it is: the console shows exactly what the API answers per row. */
  send(body: string, path: '/v1/batch' | '/track/batch' = '/v1/batch'): Promise<IngestAnswer> {
    return this.#request('POST', path, {}, this.settings.writeKey, body);
  }

  localStats(signal?: AbortSignal): Promise<LocalStats> {
    return this.#request('GET', '/local/stats', {}, this.settings.secretKey, undefined, signal);
  }

  setFaults(plan: FaultSwitches): Promise<FaultState> {
    return this.#request('PUT', '/local/faults', {}, undefined, JSON.stringify(plan));
  }

  #get<T>(path: string, query: Query, key: string, signal?: AbortSignal): Promise<T> {
    return this.#request('GET', path, query, key, undefined, signal);
  }

  async #request<T>(method: string, path: string, query: Query, key?: string, body?: string, signal?: AbortSignal): Promise<T> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
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
