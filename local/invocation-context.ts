/**
 * Per-invocation context for the local runtime's Lambda handlers. Import it before any function
 * module: it must exist before Powertools is first used.
 *
 * The local runtime runs many invocations of every function at once in one process, the way Lambda
 * Managed Instances run concurrent invocations in one Node.js environment (Lambda docs, "Node.js
 * runtime for Lambda Managed Instances"). There Lambda's runtime keeps each invocation's context in
 * an InvokeStore (AsyncLocalStorage), and Powertools scopes the logger's Lambda context and appended
 * keys to it when AWS_LAMBDA_MAX_CONCURRENCY is set (powertools-lambda-typescript #5430). Without it,
 * one invocation's function name, request id and project id showed on another's log lines, and one
 * invocation's end cleared the keys of another still running.
 *
 * Made here synchronously (the package's own factory is async): a process that inherits
 * AWS_LAMBDA_MAX_CONCURRENCY (a child of a test worker) must find the store before Powertools' first
 * log or metric, or Powertools throws "InvokeStore is not available".
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';

type InvocationValues = Record<string | symbol, unknown>;

class LocalInvokeStore extends InvokeStoreBase {
  readonly #storage = new AsyncLocalStorage<InvocationValues>();

  getContext(): InvocationValues | undefined {
    return this.#storage.getStore();
  }

  hasContext(): boolean {
    return this.#storage.getStore() !== undefined;
  }

  get<T = unknown>(key: string | symbol): T | undefined {
    return this.#storage.getStore()?.[key] as T | undefined;
  }

  set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const values = this.#storage.getStore();
    if (!values) throw new Error('No invocation context');
    values[key] = value;
  }

  run<T>(values: InvocationValues, fn: () => T): T {
    return this.#storage.run(values, fn);
  }
}

const lambdaGlobal = ((globalThis as { awslambda?: { InvokeStore?: InvokeStoreBase } }).awslambda ??= {});
export const invokeStore: InvokeStoreBase = (lambdaGlobal.InvokeStore ??= new LocalInvokeStore());
process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '64';

/** Runs one invocation with its own context, as Lambda's runtime does. */
export const runInvocation = <T>(awsRequestId: string, fn: () => T): T =>
  invokeStore.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: awsRequestId }, fn);
