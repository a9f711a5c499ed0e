/**
 * CORS answers for the public write routes, from `resources/cors.ts`. The preflight mirrors what
 * API Gateway's mock OPTIONS integration (CDK `addCorsPreflight`) answers, so the local server
 * gives browsers the same answer as a deployed stack; the ingest function adds the response
 * headers itself because a proxy integration passes its headers through untouched.
 */
import { Cors } from '../../resources/index.js';

/**
 * The Access-Control-Allow-Origin value: `*`, the request's origin when listed, else the first
 * listed origin (which the browser then refuses, as it should).
 */
export function allowOriginFor(origin: string | undefined, allowOrigins: readonly string[]): string {
  if (allowOrigins.includes('*')) return '*';
  return origin !== undefined && allowOrigins.includes(origin) ? origin : allowOrigins[0]!;
}

export function corsResponseHeaders(origin: string | undefined, allowOrigins: readonly string[]): Record<string, string> {
  const allowOrigin = allowOriginFor(origin, allowOrigins);
  return { 'access-control-allow-origin': allowOrigin, ...(allowOrigin === '*' ? {} : { vary: 'Origin' }) };
}

/** The OPTIONS answer: status and headers. */
export function preflight(
  origin: string | undefined,
  allowOrigins: readonly string[],
): { statusCode: number; headers: Record<string, string> } {
  return {
    statusCode: 204,
    headers: {
      'access-control-allow-headers': Cors.allowHeaders.join(','),
      ...corsResponseHeaders(origin, allowOrigins),
      'access-control-allow-methods': Cors.allowMethods.join(','),
      'access-control-max-age': String(Cors.maxAgeSeconds),
    },
  };
}

/** The allowed origins as a function reads them from its environment: comma-separated, `*` by default. */
export function parseAllowOrigins(raw: string | undefined): readonly string[] {
  const origins = (raw ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  return origins.length > 0 ? origins : Cors.defaultAllowOrigins;
}
