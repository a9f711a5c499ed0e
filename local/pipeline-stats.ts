/**
 * What the console's Overview shows about the local pipeline: per-minute accepted, rejected,
 * stored and duplicate events, freshness (accepted to counted) and the last errors. It watches
 * the same handlers and store the Lambdas use, from the outside, the way CloudWatch watches them
 * on AWS; nothing here feeds back into the pipeline.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, DynamoDBStreamEvent } from 'aws-lambda';
import type { EventStore } from '../lambdas/adapters/event-store.js';
import type { LambdaHandler } from './invoke.js';

export type MinuteCounts = { minute: string; accepted: number; rejected: number; stored: number; duplicates: number; counted: number };
export type RecentError = { at: string; where: string; message: string };
export type PipelineSnapshot = {
  minutes: MinuteCounts[];
  totals: Omit<MinuteCounts, 'minute'>;
  /** Accepted to counted over the last five minutes, ms; null before anything was counted. */
  freshness: { p50Ms: number | null; p99Ms: number | null; samples: number };
  recentErrors: RecentError[];
};

const KEPT_MINUTES = 60;
const KEPT_ERRORS = 20;
const FRESHNESS_WINDOW_MS = 5 * 60_000;
const KEPT_SAMPLES = 10_000;

type Counter = Exclude<keyof MinuteCounts, 'minute'>;

export class PipelineStats {
  readonly #minutes = new Map<string, MinuteCounts>();
  readonly #totals = { accepted: 0, rejected: 0, stored: 0, duplicates: 0, counted: 0 };
  readonly #errors: RecentError[] = [];
  #freshness: { at: number; ms: number }[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts the rows of every ingest response that queued events (not `?validate=true`). */
  observeIngest(
    handler: LambdaHandler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  ): LambdaHandler<APIGatewayProxyEvent, APIGatewayProxyResult> {
    return async (event, context) => {
      const result = await handler(event, context);
      if (result.statusCode === 202 && event.queryStringParameters?.validate !== 'true') {
        const body = JSON.parse(result.body) as { accepted: number; rejected: unknown[] };
        this.#add('accepted', body.accepted);
        this.#add('rejected', body.rejected.length);
      }
      return result;
    };
  }

  /** Counts stored and duplicate writes of the processor's event store. */
  observeStore(store: EventStore): EventStore {
    return {
      putIfAbsent: async (event) => {
        const outcome = await store.putIfAbsent(event);
        this.#add(outcome === 'stored' ? 'stored' : 'duplicates', 1);
        return outcome;
      },
    };
  }

  /** Every stream batch the aggregator committed: its events are counted now. */
  observeAggregate(handler: LambdaHandler<DynamoDBStreamEvent, unknown>): LambdaHandler<DynamoDBStreamEvent, unknown> {
    return async (event, context) => {
      const result = await handler(event, context);
      const now = this.now();
      let counted = 0;
      for (const record of event.Records) {
        const receivedAt = record.dynamodb?.NewImage?.receivedAt?.S;
        if (record.eventName !== 'INSERT' || !receivedAt) continue;
        counted++;
        this.#freshness.push({ at: now, ms: now - Date.parse(receivedAt) });
      }
      if (this.#freshness.length > KEPT_SAMPLES) this.#freshness = this.#freshness.slice(-KEPT_SAMPLES);
      this.#add('counted', counted);
      return result;
    };
  }

  recordError(where: string, message: string): void {
    this.#errors.unshift({ at: new Date(this.now()).toISOString(), where, message });
    this.#errors.length = Math.min(this.#errors.length, KEPT_ERRORS);
  }

  snapshot(): PipelineSnapshot {
    const now = this.now();
    const recent = this.#freshness.filter((sample) => sample.at >= now - FRESHNESS_WINDOW_MS).map((sample) => sample.ms);
    recent.sort((a, b) => a - b);
    const percentile = (p: number) => (recent.length === 0 ? null : recent[Math.min(recent.length - 1, Math.floor((p / 100) * recent.length))]!);
    return {
      minutes: [...this.#minutes.values()].sort((a, b) => a.minute.localeCompare(b.minute)),
      totals: { ...this.#totals },
      freshness: { p50Ms: percentile(50), p99Ms: percentile(99), samples: recent.length },
      recentErrors: [...this.#errors],
    };
  }

  #add(counter: Counter, amount: number): void {
    if (amount === 0) return;
    const minute = new Date(this.now()).toISOString().slice(0, 16);
    let counts = this.#minutes.get(minute);
    if (!counts) {
      counts = { minute, accepted: 0, rejected: 0, stored: 0, duplicates: 0, counted: 0 };
      this.#minutes.set(minute, counts);
      // Map order is insertion order, which is time order here: the oldest minute goes first.
      if (this.#minutes.size > KEPT_MINUTES) this.#minutes.delete(this.#minutes.keys().next().value!);
    }
    counts[counter] += amount;
    this.#totals[counter] += amount;
  }
}
