/** The HTTP API: every route and the function that serves it, for API Gateway and the local server alike. */
export type RouteDefinition = {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly function: 'ingest' | 'query';
};

export const Routes = [
  { method: 'POST', path: '/v1/batch', function: 'ingest' },
  { method: 'POST', path: '/v1/track', function: 'ingest' },
  { method: 'POST', path: '/v1/import', function: 'ingest' },
  // OpenPanel's wire protocol, so OpenPanel SDKs work by pointing `apiUrl` at the API.
  { method: 'POST', path: '/track', function: 'ingest' },
  { method: 'POST', path: '/track/batch', function: 'ingest' },
  { method: 'GET', path: '/v1/aggregates', function: 'query' },
  { method: 'GET', path: '/v1/events', function: 'query' },
  { method: 'GET', path: '/v1/rejections', function: 'query' },
  { method: 'GET', path: '/v1/sessions', function: 'query' },
  { method: 'GET', path: '/v1/devices/{deviceId}', function: 'query' },
  { method: 'GET', path: '/v1/devices/{deviceId}/sessions', function: 'query' },
  { method: 'GET', path: '/health', function: 'query' },
] as const satisfies readonly RouteDefinition[];
