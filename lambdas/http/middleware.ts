/**
 * The HTTP edge of the API functions as middy middlewares: the API Gateway request id on every log
 * line, CORS headers on every answer of a public write route (errors included, or a browser cannot
 * read them), and the one place where errors become responses. A 5xx never carries internals.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { isPublicWritePath } from '../../resources/index.js';
import { PayloadTooLargeError, TidemarkError } from '../core/errors.js';
import { QuotaExceededError } from '../core/quota.js';
import { lambdaFunction } from '../middleware.js';
import { logger, metrics } from '../observability.js';
import { corsResponseHeaders } from './cors.js';
import { headersOf, json } from './api.js';

type HttpMiddleware = MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>;

/** The id API Gateway gives the request (and the client sees in an error body). */
export const apiRequestId = (event: APIGatewayProxyEvent): string => event.requestContext?.requestId ?? 'unknown';

export function errorResponse(error: unknown, requestId: string): APIGatewayProxyResult {
  if (error instanceof TidemarkError) {
    const body: Record<string, unknown> = { error: error.code, message: error.message, requestId };
    if (error instanceof PayloadTooLargeError || error instanceof QuotaExceededError)
      Object.assign(body, { limit: error.limit, max: error.max });
    const headers: Record<string, string> = error instanceof QuotaExceededError ? { 'retry-after': String(error.retryAfterSeconds) } : {};
    return json(error.status, body, headers);
  }
  logger.error('unhandled error', { error: error as Error });
  return json(500, { error: 'internal', message: 'Internal error; retry later.', requestId });
}

/**
 * Request log keys and the error mapping. Every request counts in `ApiRequests`, so each
 * invocation, refused ones included, publishes its metrics rather than an empty flush.
 */
export const httpErrors = (): HttpMiddleware => ({
  before: ({ event }) => {
    logger.appendKeys({ requestId: apiRequestId(event), path: event.resource ?? event.path });
    metrics.addMetric('ApiRequests', MetricUnit.Count, 1);
    logger.debug('request received', { method: event.httpMethod });
  },
  onError: (request) => {
    request.response = errorResponse(request.error, apiRequestId(request.event));
  },
});

/** CORS response headers on the public write routes; the handler's own headers win on a clash. */
export const publicWriteCors = (allowOrigins: () => readonly string[]): HttpMiddleware => {
  const addHeaders: NonNullable<HttpMiddleware['after']> = ({ event, response }) => {
    if (!response || !isPublicWritePath(event.resource ?? event.path)) return;
    response.headers = { ...corsResponseHeaders(headersOf(event).origin, allowOrigins()), ...response.headers };
  };
  return { after: addHeaders, onError: addHeaders };
};

/** An API function: the Lambda chain, then the HTTP edge (its `onError` runs first and shapes the response the others see). */
export function httpFunction(
  handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>,
  options: { readonly corsAllowOrigins?: () => readonly string[] } = {},
) {
  const chain = lambdaFunction<APIGatewayProxyEvent, APIGatewayProxyResult>(handler);
  if (options.corsAllowOrigins) chain.use(publicWriteCors(options.corsAllowOrigins));
  return chain.use(httpErrors());
}
