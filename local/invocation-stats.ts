/** Invocations and handler time per function, as Lambda would bill them. */
import type { LambdaHandler } from './invoke.js';

export type FunctionStats = { invocations: number; totalMs: number };

export class InvocationStats {
  readonly byFunction: Record<string, FunctionStats> = {};

  wrap<E, R>(name: string, handler: LambdaHandler<E, R>): LambdaHandler<E, R> {
    return async (event, context) => {
      const stats = (this.byFunction[name] ??= { invocations: 0, totalMs: 0 });
      const started = performance.now();
      try {
        return await handler(event, context);
      } finally {
        stats.invocations++;
        stats.totalMs += performance.now() - started;
      }
    };
  }
}
