/**
 * The one seam through which the local runtime runs a Lambda handler: a fresh context, the call
 * raced against the function's timeout, as Lambda would.
 */
import { randomUUID } from 'node:crypto';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';

/**
 * The local runtime runs many invocations of every function at once in one process, the way Lambda
 * Managed Instances run concurrent invocations in one Node.js environment (Lambda docs, "Node.js
 * runtime for Lambda Managed Instances"). There Lambda's runtime keeps each invocation's context in
 * an InvokeStore (AsyncLocalStorage), and Powertools scopes the logger's Lambda context and appended
 * keys to it when AWS_LAMBDA_MAX_CONCURRENCY is set (powertools-lambda-typescript #5430). Without it,
 * one invocation's function name, request id and project id showed on another's log lines, and one
 * invocation's end cleared the keys of another still running.
 */
const invokeStore = await InvokeStore.getInstanceAsync(true);
process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '64';

export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * Lambda would kill a timed-out invocation; here the handler cannot be stopped, so the error
 * carries its still-running promise (`settled`) for callers that must not act before it ends.
 */
export class InvocationTimeoutError extends Error {
  constructor(
    functionName: string,
    timeoutSeconds: number,
    readonly settled: Promise<unknown>,
  ) {
    super(`${functionName} timed out after ${timeoutSeconds} s`);
    this.name = 'InvocationTimeoutError';
  }
}

export async function invoke<E, R>(functionName: string, handler: LambdaHandler<E, R>, event: E, timeoutSeconds: number): Promise<R> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const awsRequestId = randomUUID();
  const context: Context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  let timer: NodeJS.Timeout | undefined;
  const running = invokeStore.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: awsRequestId }, () => handler(event, context));
  const timeout = new Promise<never>((_, reject) => {
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    timer = setTimeout(() => reject(new InvocationTimeoutError(functionName, timeoutSeconds, settled)), timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
