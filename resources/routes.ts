/** The HTTP API: every route and the function that serves it, for API Gateway and the local server alike. */
export type RouteDefinition = {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly function: 'ingest' | 'query';
  /** The query parameters a read route takes; any other is refused (400 `unknown_parameter`), so a typo never reads as "no filter". */
  readonly query?: readonly string[];
};

export const Routes = [
  { method: 'POST', path: '/v1/batch', function: 'ingest' },
  { method: 'POST', path: '/v1/track', function: 'ingest' },
  { method: 'POST', path: '/v1/import', function: 'ingest' },
  // OpenPanel's wire protocol, so OpenPanel SDKs work by pointing `apiUrl` at the API.
  { method: 'POST', path: '/track', function: 'ingest' },
  { method: 'POST', path: '/track/batch', function: 'ingest' },
  { method: 'GET', path: '/v1/aggregates', function: 'query', query: ['from', 'to', 'event', 'granularity', 'groupBy'] },
  { method: 'GET', path: '/v1/events', function: 'query', query: ['from', 'to', 'limit', 'cursor', 'event', 'deviceId', 'source'] },
  { method: 'GET', path: '/v1/rejections', function: 'query', query: ['from', 'to', 'limit', 'cursor'] },
  { method: 'GET', path: '/v1/sessions', function: 'query', query: ['from', 'to', 'granularity', 'groupBy', 'deviceId', 'limit'] },
  { method: 'GET', path: '/v1/devices/{deviceId}', function: 'query', query: [] },
  { method: 'GET', path: '/v1/devices/{deviceId}/sessions', function: 'query', query: ['from', 'to', 'cursor'] },
  { method: 'GET', path: '/health', function: 'query' },
] as const satisfies readonly RouteDefinition[];
