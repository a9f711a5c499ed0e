/**
 * The local API Gateway: turns HTTP requests into REST API proxy events for the same handlers the
 * Lambdas run, and their results back into HTTP responses. Routes come from `resources/routes.ts`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { Routes, type RouteDefinition } from '../resources/index.js';
import { ApiFunctions, isPublicWritePath, LAMBDA_INVOKE_PAYLOAD_BYTES, Limits } from '../resources/index.js';
import { preflight } from '../lambdas/http/cors.js';
import { invoke, type LambdaHandler } from './invoke.js';

export type ApiHandlers = Record<RouteDefinition['function'], LambdaHandler<APIGatewayProxyEvent, APIGatewayProxyResult>>;

type Match = { route: RouteDefinition; pathParameters: Record<string, string> | null };

export function matchRoute(method: string, path: string): Match | undefined {
  const segments = path.split('/').filter(Boolean);
  for (const route of Routes) {
    if (route.method !== method) continue;
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== segments.length) continue;
    const parameters: Record<string, string> = {};
    const matches = pattern.every((part, i) => {
      const segment = segments[i]!;
      if (part.startsWith('{') && part.endsWith('}')) {
        parameters[part.slice(1, -1)] = segment;
        return true;
      }
      return part === segment;
    });
    if (matches) return { route, pathParameters: Object.keys(parameters).length > 0 ? parameters : null };
  }
  return undefined;
}

/** An object with no prototype: every name in it was put there. */
const membersOnly = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

export function toProxyEvent(request: IncomingMessage, body: Buffer, match: Match): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  // Names are the client's: a plain object would take `__proto__` as its prototype and find
  // `constructor` already there, and a request naming either failed with a 502 (API Gateway passes them).
  const headers = membersOnly<string>();
  const multiValueHeaders = membersOnly<string[]>();
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!;
    const value = request.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query = membersOnly<string>();
  const multiQuery = membersOnly<string[]>();
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  const requestId = randomUUID();
  return {
    resource: match.route.path,
    path: url.pathname,
    httpMethod: request.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: match.pathParameters,
    stageVariables: null,
    // The API is deployed with binary media type */*, so API Gateway hands every body over base64-encoded.
    body: body.length > 0 ? body.toString('base64') : null,
    isBase64Encoded: body.length > 0,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: request.method ?? 'GET',
      identity: { sourceIp: request.socket.remoteAddress ?? '127.0.0.1', userAgent: request.headers['user-agent'] ?? null } as never,
      path: url.pathname,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: match.route.path,
    },
  };
}

/** API Gateway's own payload cap; beyond it the gateway answers 413 before any function runs. */
const GATEWAY_MAX_BODY = Limits.maxRequestBytes;

/**
 * Lambda refuses an invocation whose event, or a result, is over its 6 MB payload cap (Lambda
 * quotas). API Gateway then answers the client itself: 413 `{"message":"Request Too Long"}` for
 * a request (as reported in koki-develop/lgtm-generator issue 10, a response captured from a
 * deployed REST API), 502 for a result. The local server answers the same, never kinder.
 */
const invokeRequestTooLong = (): APIGatewayProxyResult => ({
  statusCode: 413,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: 'Request Too Long' }),
});
const invokeResultTooLarge = (): APIGatewayProxyResult => ({
  statusCode: 502,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: 'Internal server error' }),
});
const overInvokeCap = (payload: unknown) => Buffer.byteLength(JSON.stringify(payload)) > LAMBDA_INVOKE_PAYLOAD_BYTES;

/** Names under which only this machine reaches the server; anything else is a DNS-rebinding attempt or a misroute. */
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLocalHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return LOCAL_HOSTS.has(name.toLowerCase());
}

/** The body, or undefined when it is over the cap; an oversized body is still drained so the connection stays usable. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= GATEWAY_MAX_BODY) chunks.push(chunk as Buffer);
  }
  return size > GATEWAY_MAX_BODY ? undefined : Buffer.concat(chunks);
}

/** Gateway answers carry the CORS origin header on public write routes, as the stack's DEFAULT_4XX/5XX gateway responses do. */
function withCors(result: APIGatewayProxyResult, request: IncomingMessage, allowOrigins: readonly string[]): APIGatewayProxyResult {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (!isPublicWritePath(path) || !allowOrigins.includes('*')) return result;
  return { ...result, headers: { ...result.headers, 'access-control-allow-origin': '*' } };
}

function send(response: ServerResponse, result: APIGatewayProxyResult): void {
  response.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
  response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}

const jsonError = (statusCode: number, error: string, message: string): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ error, message }),
});

export type LocalApi = { server: Server; url: string; close(): Promise<void> };

/** A request the runtime may answer itself (health while starting, the console, `/local/*`) before routing. */
export type LocalRequest = {
  readonly method: string;
  readonly url: URL;
  /** Header names lower-cased. */
  readonly headers: IncomingHttpHeaders;
  readonly body: () => Promise<Buffer | undefined>;
};
export type Intercept = (request: LocalRequest) => Promise<APIGatewayProxyResult | undefined>;

export type HttpServerOptions = {
  /** Origins allowed to call the public write routes, as the stack's `corsAllowOrigins`. */
  readonly corsAllowOrigins: readonly string[];
  readonly intercept?: Intercept;
};

export async function startHttpServer(port: number, handlers: ApiHandlers, options: HttpServerOptions): Promise<LocalApi> {
  const { intercept, corsAllowOrigins } = options;
  const server = createServer((request, response) => {
    void (async () => {
      try {
        // The runtime holds keys and fault switches: a page on another site that rebinds its name
        // to 127.0.0.1 reaches this port with its own Host, and is refused before anything runs.
        if (!isLocalHost(request.headers.host)) {
          request.resume();
          return send(
            response,
            jsonError(
              421,
              'misdirected_request',
              `Host '${String(request.headers.host ?? '').slice(0, 100)}' is not this machine; the local runtime answers only 127.0.0.1, localhost and [::1].`,
            ),
          );
        }
        const url = new URL(request.url ?? '/', 'http://localhost');
        const path = url.pathname;
        if (request.method === 'OPTIONS' && isPublicWritePath(path)) {
          request.resume();
          const answer = preflight(request.headers.origin, corsAllowOrigins);
          return send(response, { ...answer, body: '' });
        }
        let reading: Promise<Buffer | undefined> | undefined;
        const readOnce = () => (reading ??= readBody(request));
        const early = await intercept?.({ method: request.method ?? 'GET', url, headers: request.headers, body: readOnce });
        if (early) return send(response, early);
        const match = matchRoute(request.method ?? 'GET', path);
        if (!match) return send(response, jsonError(404, 'not_found', `No route ${request.method} ${path}.`));
        const body = await readOnce();
        if (!body) {
          return send(
            response,
            withCors(
              jsonError(413, 'payload_too_large', `Request body exceeds ${GATEWAY_MAX_BODY} bytes (maxRequestBytes).`),
              request,
              corsAllowOrigins,
            ),
          );
        }
        const fn = match.route.function;
        const event = toProxyEvent(request, body, match);
        if (overInvokeCap(event)) return send(response, withCors(invokeRequestTooLong(), request, corsAllowOrigins));
        const result = await invoke(fn, handlers[fn], event, ApiFunctions[fn].timeoutSeconds);
        send(response, overInvokeCap(result) ? withCors(invokeResultTooLarge(), request, corsAllowOrigins) : result);
      } catch {
        if (!response.headersSent) send(response, jsonError(502, 'bad_gateway', 'The function failed; retry later.'));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://127.0.0.1:${actualPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
