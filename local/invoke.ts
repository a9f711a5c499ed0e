/**
 * The one seam through which the local runtime runs a Lambda handler: a fresh context, the call
 * raced against the function's timeout, as Lambda would.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { runInvocation } from './invocation-context.js';

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
  const running = runInvocation(awsRequestId, () => handler(event, context));
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
