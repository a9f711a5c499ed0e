/**
 * What the console's Overview shows about the local pipeline, per project: per-minute accepted,
 * rejected, stored and counted events, the synthetic `$session_start`s apart from the client's
 * events, dropped duplicates split by cause, whole requests refused (with their reason), freshness
 * (accepted to counted) and the last errors. It watches the same handlers and store the Lambdas
 * use, from the outside, the way CloudWatch watches them on AWS; nothing here feeds back into the
 * pipeline.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, DynamoDBStreamEvent } from 'aws-lambda';
import type { EventStore } from '../lambdas/process/ports.js';
import { SYNTHETIC_SESSION_START, sessionStartEventId } from '../lambdas/core/sessions.js';
import type { StoredEvent } from '../lambdas/core/types.js';
import type { LambdaHandler } from './invoke.js';
import { LocalRuntime, type LocalStats, type MinuteCounts, type RecentError, type Refusal, zeroTotals } from '../resources/index.js';

type Counter = Exclude<keyof MinuteCounts, 'minute'>;

/** What `/local/stats` answers (resources/api-answers.ts), less what the console routes add (queues, faults). */
export type ProjectSnapshot = Pick<LocalStats, 'minutes' | 'totals' | 'freshness' | 'refusals'>;
export type PipelineSnapshot = ProjectSnapshot & Pick<LocalStats, 'unattributedRefusals' | 'recentErrors'>;

/** Finds the project whose key a request carries; undefined when it carries no known key. */
export type ProjectOfRequest = (event: APIGatewayProxyEvent) => Promise<string | undefined>;
/** When the stored copy of an event was received, to tell a redelivery (same request) from a client's resend. */
export type StoredReceivedAt = (projectId: string, eventId: string) => Promise<string | undefined>;

class ProjectStats {
  readonly minutes = new Map<string, MinuteCounts>();
  readonly totals = zeroTotals();
  readonly refusals: Refusal[] = [];
  freshness: { at: number; ms: number }[] = [];
}

export class PipelineStats {
  readonly #projects = new Map<string, ProjectStats>();
  readonly #unattributedRefusals: Refusal[] = [];
  readonly #errors: RecentError[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts the rows of every ingest response that queued events (not `?validate=true`), and every refused request. */
  observeIngest(
    handler: LambdaHandler<APIGatewayProxyEvent, APIGatewayProxyResult>,
    projectOf: ProjectOfRequest,
  ): LambdaHandler<APIGatewayProxyEvent, APIGatewayProxyResult> {
    return async (event, context) => {
      const result = await handler(event, context);
      if (result.statusCode === 202 && event.queryStringParameters?.validate !== 'true') {
        const body = JSON.parse(result.body) as { accepted: number; rejected: unknown[] };
        const projectId = await projectOf(event);
        if (projectId) {
          this.#add(projectId, 'accepted', body.accepted);
          this.#add(projectId, 'rejected', body.rejected.length);
        }
      } else if (result.statusCode >= 400 && result.statusCode < 500) {
        const { error = 'unknown', message = '' } = JSON.parse(result.body || '{}') as { error?: string; message?: string };
        const refusal: Refusal = { at: new Date(this.now()).toISOString(), path: event.path, status: result.statusCode, error, message };
        const projectId = await projectOf(event);
        if (projectId) {
          this.#add(projectId, 'refused', 1);
          keepNewest(this.#project(projectId).refusals, refusal, LocalRuntime.keptRefusals);
        } else {
          keepNewest(this.#unattributedRefusals, refusal, LocalRuntime.keptRefusals);
        }
      }
      return result;
    };
  }

  /** Counts the processor's writes: new events, new sessions, and duplicates by cause. */
  observeStore(store: EventStore, storedReceivedAt: StoredReceivedAt): EventStore {
    return {
      putIfAbsent: async (event) => {
        const outcome = await store.putIfAbsent(event);
        const synthetic = isSyntheticSessionStart(event);
        if (outcome === 'stored') {
          this.#add(event.projectId, synthetic ? 'sessionStarts' : 'stored', 1);
        } else if (!synthetic) {
          // A redelivered message carries the very rows of the request that first stored them; a
          // client's resend is a new request, received at another time. (A session_start written
          // again is the processor's own retry of a row no client sent: it is neither.)
          const firstReceivedAt = await storedReceivedAt(event.projectId, event.eventId);
          this.#add(event.projectId, firstReceivedAt === undefined || firstReceivedAt === event.receivedAt ? 'redeliveries' : 'resends', 1);
        }
        return outcome;
      },
    };
  }

  /** Every stream batch the aggregator committed: its events are counted now. */
  observeAggregate(handler: LambdaHandler<DynamoDBStreamEvent, unknown>): LambdaHandler<DynamoDBStreamEvent, unknown> {
    return async (event, context) => {
      const result = await handler(event, context);
      const now = this.now();
      for (const record of event.Records) {
        const image = record.dynamodb?.NewImage;
        const projectId = image?.projectId?.S;
        const receivedAt = image?.receivedAt?.S;
        if (record.eventName !== 'INSERT' || !projectId || !receivedAt) continue;
        const synthetic =
          image.event?.S === SYNTHETIC_SESSION_START &&
          image.eventId?.S === sessionStartEventId(image.deviceId?.S ?? '', image.sessionId?.S ?? '');
        this.#add(projectId, synthetic ? 'sessionStartsCounted' : 'counted', 1);
        if (!synthetic) this.#project(projectId).freshness.push({ at: now, ms: now - Date.parse(receivedAt) });
      }
      for (const stats of this.#projects.values()) {
        if (stats.freshness.length > LocalRuntime.keptFreshnessSamples)
          stats.freshness = stats.freshness.slice(-LocalRuntime.keptFreshnessSamples);
      }
      return result;
    };
  }

  recordError(where: string, message: string): void {
    keepNewest(this.#errors, { at: new Date(this.now()).toISOString(), where, message }, LocalRuntime.keptErrors);
  }

  /** One project's figures, with the refusals and errors no project owns. */
  snapshot(projectId: string): PipelineSnapshot {
    const stats = this.#projects.get(projectId) ?? new ProjectStats();
    const now = this.now();
    const recent = stats.freshness.filter((sample) => sample.at >= now - LocalRuntime.freshnessWindowMs).map((sample) => sample.ms);
    recent.sort((a, b) => a - b);
    const percentile = (p: number) =>
      recent.length === 0 ? null : recent[Math.min(recent.length - 1, Math.floor((p / 100) * recent.length))]!;
    return {
      minutes: [...stats.minutes.values()].sort((a, b) => a.minute.localeCompare(b.minute)),
      totals: { ...stats.totals },
      freshness: { p50Ms: percentile(50), p99Ms: percentile(99), samples: recent.length },
      refusals: [...stats.refusals],
      unattributedRefusals: [...this.#unattributedRefusals],
      recentErrors: [...this.#errors],
    };
  }

  #project(projectId: string): ProjectStats {
    let stats = this.#projects.get(projectId);
    if (!stats) this.#projects.set(projectId, (stats = new ProjectStats()));
    return stats;
  }

  #add(projectId: string, counter: Counter, amount: number): void {
    if (amount === 0) return;
    const stats = this.#project(projectId);
    const minute = new Date(this.now()).toISOString().slice(0, 16);
    let counts = stats.minutes.get(minute);
    if (!counts) {
      counts = { minute, ...zeroTotals() };
      stats.minutes.set(minute, counts);
      // Map order is insertion order, which is time order here: the oldest minute goes first.
      if (stats.minutes.size > LocalRuntime.keptMinutes) stats.minutes.delete(stats.minutes.keys().next().value!);
    }
    counts[counter] += amount;
    stats.totals[counter] += amount;
  }
}

const isSyntheticSessionStart = (event: StoredEvent) =>
  event.event === SYNTHETIC_SESSION_START && event.eventId === sessionStartEventId(event.deviceId, event.sessionId);

function keepNewest<T>(list: T[], item: T, keep: number): void {
  list.unshift(item);
  list.length = Math.min(list.length, keep);
}
