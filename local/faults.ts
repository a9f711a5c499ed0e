/**
 * Fault injection for the local runtime, seeded so a failing run can be replayed. Faults are
 * injected at the seams the real engines cannot break on demand: a SendMessageBatch entry that SQS
 * reports as failed, DynamoDB throttling, a processor or aggregator invocation that crashes
 * before, between or after its writes, a visibility timeout that expires while a batch is being
 * processed, and a stream batch delivered again with other boundaries.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  type SQSClient,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MiddlewareStack } from '@smithy/types';
import type { SQSRecord } from 'aws-lambda';
import type { CounterStore } from '../lambdas/aggregate/ports.js';
import type { ProcessDependencies } from '../lambdas/process/ports.js';
import { seededRandom } from './seeded-random.js';
import { RedeliveryModes, type RedeliveryMode } from './stream-poller.js';

export type FaultPlan = {
  readonly seed?: number;
  /** Probability that SQS reports one SendMessageBatch entry as failed (it is then not sent). */
  readonly sqsSendFailure?: number;
  /** Probability that one DynamoDB request is throttled (the SDK retries it, as on AWS). */
  readonly dynamoThrottle?: number;
  /** Probability that a process invocation crashes, before, between or after its writes. */
  readonly processCrash?: number;
  /** Probability that an aggregate invocation crashes, before, between or after its writes. */
  readonly aggregateCrash?: number;
  /** Probability that a received batch's visibility timeout runs out while it is being processed. */
  readonly visibilityExpiry?: number;
  /**
   * Probability that a stream batch is delivered again with other boundaries (shorter, longer,
   * shifted, duplicated, replayed from the start), as Lambda's at-least-once delivery allows.
   */
  readonly streamRedelivery?: number;
};

/** The fault kind counting one way of redelivering a stream batch: `streamShifted` for `shifted`. */
const redeliveryKind = (mode: RedeliveryMode) => `stream${mode[0]!.toUpperCase()}${mode.slice(1)}` as `stream${Capitalize<RedeliveryMode>}`;

export const FaultKinds = [
  'sqsSendFailure',
  'dynamoThrottle',
  'processCrashBefore',
  'processCrashBetween',
  'processCrashAfter',
  'aggregateCrashBefore',
  'aggregateCrashBetween',
  'aggregateCrashAfter',
  'visibilityExpiry',
  ...RedeliveryModes.map((mode) => redeliveryKind(mode)),
] as const;
export type FaultCounts = Record<(typeof FaultKinds)[number], number>;

export class InjectedFault extends Error {
  constructor(where: string) {
    super(`injected fault: ${where}`);
    this.name = 'InjectedFault';
  }
}

type CrashPoint = 'Before' | 'Between' | 'After';

export class FaultInjector {
  readonly counts = Object.fromEntries(FaultKinds.map((kind) => [kind, 0])) as FaultCounts;
  readonly #random: () => number;
  #plan: FaultPlan;

  constructor(plan: FaultPlan) {
    this.#plan = plan;
    this.#random = seededRandom(plan.seed ?? 1);
  }

  get plan(): FaultPlan {
    return this.#plan;
  }

  /** Changes the plan while the pipeline runs (the console's failure switches); counts carry on. */
  configure(changes: Omit<FaultPlan, 'seed'>): FaultPlan {
    this.#plan = { ...this.#plan, ...changes };
    return this.#plan;
  }

  #fires(probability: number | undefined): boolean {
    return Boolean(probability) && this.#random() < probability!;
  }

  /** Draws whether (and where) one invocation of `fn` crashes, and the function that does the crashing. */
  #crashPlan(fn: 'process' | 'aggregate', probability: number | undefined): { point: CrashPoint; crash: () => never } | undefined {
    if (!this.#fires(probability)) return undefined;
    const point = (['Before', 'Between', 'After'] as const)[Math.floor(this.#random() * 3)]!;
    const crash = (): never => {
      this.counts[`${fn}Crash${point}`]++;
      throw new InjectedFault(`${fn} crash ${point.toLowerCase()} writes`);
    };
    return { point, crash };
  }

  /** Makes SendMessageBatch report entries as failed, as SQS does under throttling or internal errors. */
  attachToSqs(client: SQSClient): void {
    (client.middlewareStack as MiddlewareStack<object, object>).add(
      (next, context) => async (args) => {
        if (context.commandName !== 'SendMessageBatchCommand' || !this.plan.sqsSendFailure) return next(args);
        const input = (args as { input: SendMessageBatchCommandInput }).input;
        const entries = input.Entries ?? [];
        const failing = entries.filter(() => this.#fires(this.plan.sqsSendFailure));
        this.counts.sqsSendFailure += failing.length;
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

  /** Throttles DynamoDB requests below the SDK's retry middleware, so the SDK retries them as it would on AWS. */
  attachToDynamo(client: DynamoDBDocumentClient): void {
    (client.middlewareStack as MiddlewareStack<object, object>).add(
      (next) => async (args) => {
        if (this.#fires(this.plan.dynamoThrottle)) {
          this.counts.dynamoThrottle++;
          throw Object.assign(new Error('injected throttling'), {
            name: 'ProvisionedThroughputExceededException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'deserialize', name: 'tidemarkDynamoFaults' },
    );
  }

  /** The processor's dependencies for one invocation, which may crash before, between or after its writes. */
  processInvocation(deps: ProcessDependencies): ProcessDependencies {
    const plan = this.#crashPlan('process', this.plan.processCrash);
    if (!plan) return deps;
    const { point, crash } = plan;
    let writesLeft = point === 'Between' ? 1 + Math.floor(this.#random() * 20) : Number.POSITIVE_INFINITY;
    // A message's event puts all start together; the one that completes last ends its writes.
    let inflight = 0;
    return {
      ...deps,
      acquireSessionLock: async (...args) => {
        if (point === 'Before') crash();
        return deps.acquireSessionLock(...args);
      },
      events: {
        putIfAbsent: async (event) => {
          if (point === 'Before') crash();
          if (writesLeft-- <= 0) crash();
          inflight++;
          const outcome = await deps.events.putIfAbsent(event).finally(() => inflight--);
          if (point === 'After' && inflight === 0) crash();
          return outcome;
        },
      },
    };
  }

  /** The aggregator's store for one invocation, which may crash before its reads, between its writes, or after commit. */
  aggregateInvocation(store: CounterStore): CounterStore {
    const plan = this.#crashPlan('aggregate', this.plan.aggregateCrash);
    if (!plan) return store;
    const { point, crash } = plan;
    return {
      readMark: async (shard) => {
        if (point === 'Before') crash();
        return store.readMark(shard);
      },
      claimMarker: (marker) => store.claimMarker(marker),
      recordEventName: (name) => store.recordEventName(name),
      commit: async (commit) => {
        if (point === 'Between') crash();
        await store.commit(commit);
        if (point === 'After') crash();
      },
    };
  }

  /** Lets a received batch's visibility lapse before the handler runs, so another poller may take it too. */
  async expireVisibility(client: SQSClient, queueUrl: string, records: readonly SQSRecord[]): Promise<void> {
    if (!this.#fires(this.plan.visibilityExpiry)) return;
    this.counts.visibilityExpiry++;
    await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: records.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }

  /** Whether (and how) the stream batch just read is delivered again with other boundaries. */
  streamRedelivery(): { mode: RedeliveryMode; cut: number } | undefined {
    if (!this.#fires(this.plan.streamRedelivery)) return undefined;
    const mode = RedeliveryModes[Math.floor(this.#random() * RedeliveryModes.length)]!;
    this.counts[redeliveryKind(mode)]++;
    return { mode, cut: this.#random() };
  }

  /** Every kind of fault that was configured but never fired: a chaos run must show them all firing. */
  silentKinds(): string[] {
    const configured: Record<string, boolean> = {
      sqsSendFailure: Boolean(this.plan.sqsSendFailure),
      dynamoThrottle: Boolean(this.plan.dynamoThrottle),
      processCrashBefore: Boolean(this.plan.processCrash),
      processCrashBetween: Boolean(this.plan.processCrash),
      processCrashAfter: Boolean(this.plan.processCrash),
      aggregateCrashBefore: Boolean(this.plan.aggregateCrash),
      aggregateCrashBetween: Boolean(this.plan.aggregateCrash),
      aggregateCrashAfter: Boolean(this.plan.aggregateCrash),
      visibilityExpiry: Boolean(this.plan.visibilityExpiry),
      ...Object.fromEntries(RedeliveryModes.map((mode) => [redeliveryKind(mode), Boolean(this.plan.streamRedelivery)])),
    };
    return FaultKinds.filter((kind) => configured[kind] && this.counts[kind] === 0);
  }
}
