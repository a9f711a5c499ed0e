/**
 * Fault injection for the local runtime, seeded so a failing run can be replayed. Faults are
 * injected at the seams the real engines cannot break on demand: a SendMessageBatch entry that SQS
 * reports as failed, a processor or aggregator that crashes before, between or after its writes,
 * and a stream batch delivered twice.
 */
import type { SQSClient, SendMessageBatchCommandInput, SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import type { CounterStore } from '../lambdas/aggregate/aggregate.js';
import type { ProcessDependencies } from '../lambdas/process/process.js';

export type FaultPlan = {
  readonly seed?: number;
  /** Probability that SQS reports one SendMessageBatch entry as failed (it is then not sent). */
  readonly sqsSendFailure?: number;
  /** Probability that the processor crashes at each of its write points. */
  readonly processCrash?: number;
  /** Probability that the aggregator crashes at each of its write points. */
  readonly aggregateCrash?: number;
  /** Deliver every stream batch a second time after it succeeded. */
  readonly duplicateStreamDelivery?: boolean;
};

export type FaultCounts = Record<'sqsSendFailure' | 'processCrash' | 'aggregateCrash' | 'duplicateStreamDelivery', number>;

export class InjectedFault extends Error {
  constructor(where: string) {
    super(`injected fault: ${where}`);
    this.name = 'InjectedFault';
  }
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  readonly counts: FaultCounts = { sqsSendFailure: 0, processCrash: 0, aggregateCrash: 0, duplicateStreamDelivery: 0 };
  readonly #random: () => number;

  constructor(readonly plan: FaultPlan) {
    this.#random = seededRandom(plan.seed ?? 1);
  }

  #fires(kind: keyof FaultCounts, probability: number | undefined): boolean {
    if (!probability || this.#random() >= probability) return false;
    this.counts[kind]++;
    return true;
  }

  /** Makes SendMessageBatch report entries as failed, as SQS does under throttling or internal errors. */
  attachToSqs(client: SQSClient): void {
    if (!this.plan.sqsSendFailure) return;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'SendMessageBatchCommand') return next(args);
        const input = args.input as SendMessageBatchCommandInput;
        const entries = input.Entries ?? [];
        const failing = entries.filter(() => this.#fires('sqsSendFailure', this.plan.sqsSendFailure));
        const failed = failing.map((entry) => ({ Id: entry.Id!, Code: 'InjectedFault', SenderFault: false, Message: 'injected' }));
        const sending = entries.filter((entry) => !failing.includes(entry));
        if (sending.length === 0) {
          return { output: { Successful: [], Failed: failed, $metadata: {} } as SendMessageBatchCommandOutput, response: {} };
        }
        const result = await next({ ...args, input: { ...input, Entries: sending } });
        const output = result.output as SendMessageBatchCommandOutput;
        return { ...result, output: { ...output, Failed: [...(output.Failed ?? []), ...failed] } };
      },
      { step: 'initialize', name: 'tidemarkSqsFaults' },
    );
  }

  /** Crashes the processor before a write, or after it (the write landed but the invocation fails). */
  wrapProcess(deps: ProcessDependencies): ProcessDependencies {
    if (!this.plan.processCrash) return deps;
    const crash = (where: string) => {
      if (this.#fires('processCrash', this.plan.processCrash)) throw new InjectedFault(`process ${where}`);
    };
    return {
      ...deps,
      events: {
        putIfAbsent: async (event) => {
          crash('before put');
          const outcome = await deps.events.putIfAbsent(event);
          crash('after put');
          return outcome;
        },
      },
      acquireSessionLock: async (...args) => {
        crash('before lock');
        const held = await deps.acquireSessionLock(...args);
        crash('after lock');
        return held;
      },
    };
  }

  /** Crashes the aggregator before its reads, between its marker writes and the counter transaction, and after commit. */
  wrapCounters(store: CounterStore): CounterStore {
    if (!this.plan.aggregateCrash) return store;
    const crash = (where: string) => {
      if (this.#fires('aggregateCrash', this.plan.aggregateCrash)) throw new InjectedFault(`aggregate ${where}`);
    };
    return {
      readCheckpoint: async (id) => {
        crash('before checkpoint read');
        return store.readCheckpoint(id);
      },
      claimMarker: (marker) => store.claimMarker(marker),
      applyCounters: async (...args) => {
        crash('before counters');
        await store.applyCounters(...args);
        crash('after counters');
      },
    };
  }

  duplicateStreamDelivery(): boolean {
    if (!this.plan.duplicateStreamDelivery) return false;
    this.counts.duplicateStreamDelivery++;
    return true;
  }
}
