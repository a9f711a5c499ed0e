/**
 * The one shape of every Tidemark function: a middy chain around the handler with Powertools'
 * middlewares. `injectLambdaContext` puts the Lambda request id (`function_request_id`) on every
 * log line and resets appended keys after each invocation; `logMetrics` publishes the invocation's
 * metrics as EMF, on success and on error alike.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, metrics } from './observability.js';

export function lambdaFunction<E, R>(handler: (event: E, context: Context) => Promise<R>) {
  // No early timeout: Lambda ends a timed-out invocation itself, and the local runtime's `invoke`
  // must see that timeout (with the still-running work) rather than middy's earlier AbortError.
  return middy<E, R, Error, Context>(handler, { timeoutEarlyInMillis: 0 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
