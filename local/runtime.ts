/**
 * The whole pipeline on one machine: real engines, resources from the shared definitions, and the
 * Lambda handlers driven the way API Gateway, the SQS event source mapping and the DynamoDB
 * Streams event source mapping drive them on AWS. Composed of provisioning
 * (`runtime-provisioning.ts`), function wiring (`function-wiring.ts`), event sources
 * (`event-sources.ts`) and the runtime descriptor (`runtime-descriptor.ts`).
 */
// First: the per-invocation context must exist before any function module uses Powertools.
import './invocation-context.js';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TidemarkConfig } from '../lambdas/config.js';
import { LakeCompaction, LakeLayout, LocalRuntime } from '../resources/index.js';
import type { CallCounts } from './aws-calls.js';
import type { HotKeyMeter } from './hot-key-meter.js';
import { consoleRoutes } from './console-routes.js';
import type { Engine } from './engines.js';
import { startDailySchedule } from './daily-schedule.js';
import { lockDataDir } from './data-dir-lock.js';
import { createEventSources } from './event-sources.js';
import { FaultInjector, type FaultPlan } from './faults.js';
import { wireFunctions } from './function-wiring.js';
import { startHttpServer } from './http-server.js';
import type { InvocationStats } from './invocation-stats.js';
import type { LocalQueues } from './provision.js';
import { writeRuntimeDescriptor } from './runtime-descriptor.js';
import { DemoProject, provision } from './runtime-provisioning.js';

export { RUNTIME_FILE, type RuntimeOutputs } from './runtime-descriptor.js';
export { DemoProject } from './runtime-provisioning.js';

export type RuntimeOptions = {
  /** 0 picks a free port. */
  readonly port?: number;
  readonly dataDir?: string;
  /** Extra environment for the functions (limits), as `cdk deploy` would set from stack props. */
  readonly functionEnv?: Record<string, string>;
  readonly sqsConcurrency?: number;
  readonly failedVisibilitySeconds?: number;
  readonly streamRetryDelayMs?: number;
  /** Overrides the stream mapping's batching window (tests that want counts fast set it low). */
  readonly streamBatchingWindowMs?: number;
  readonly log?: (line: string) => void;
  /** Seeded fault injection (chaos runs and reliability tests). */
  readonly faults?: FaultPlan;
};

export type Runtime = {
  readonly url: string;
  readonly config: TidemarkConfig;
  readonly queues: LocalQueues;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  /** True when the last stream pass found nothing new. */
  streamIdle(): boolean;
  /** True when the lake writer's last stream pass found nothing new. */
  lakeIdle(): boolean;
  /** The lake's folder (what S3 holds on AWS). */
  readonly lakeDir: string;
  /** AWS requests the handlers made so far. */
  readonly calls: CallCounts;
  /** Write and read units per partition key per second, over every function. */
  readonly hotKeys: HotKeyMeter;
  /** The same, per function (the cost model turns each function's calls into its billed duration). */
  readonly callsByFunction: Record<string, CallCounts>;
  readonly invocations: InvocationStats['byFunction'];
  readonly faults: FaultInjector;
  /**
   * Stops taking requests and waits until the events queue is empty and the stream consumer has
   * caught up, calling `progress` with the messages left about once a second. What is still queued
   * when `stop` is called instead is journaled and processed after the next start.
   */
  drain(progress: (messagesLeft: number) => void): Promise<void>;
  stop(): Promise<void>;
};

export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const dataDir = resolve(options.dataDir ?? process.env.TIDEMARK_DATA_DIR ?? '.tidemark');
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  const log = options.log ?? (() => undefined);
  const engines: Engine[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  // Once, however often it is asked (a second Ctrl-C while draining): the engines stop, then the directory is given back.
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopAll(stoppers, engines).finally(unlock));
  try {
    const { dynamo, sqs, sqsClient, streamsClient, eventsStreamArn, queues, journal, config } = await provision(
      dataDir,
      options.functionEnv,
      log,
      engines,
      stoppers,
    );
    const faults = new FaultInjector(options.faults ?? {});
    const lakeDir = join(dataDir, LakeLayout.localFolder);
    const functions = wireFunctions(config, faults, journal, lakeDir, stoppers);
    const sources = createEventSources({
      dataDir,
      sqsClient,
      streamsClient,
      queues,
      eventsStreamArn,
      functions,
      faults,
      log,
      ...(options.sqsConcurrency === undefined ? {} : { sqsConcurrency: options.sqsConcurrency }),
      ...(options.failedVisibilitySeconds === undefined ? {} : { failedVisibilitySeconds: options.failedVisibilitySeconds }),
      ...(options.streamRetryDelayMs === undefined ? {} : { streamRetryDelayMs: options.streamRetryDelayMs }),
      ...(options.streamBatchingWindowMs === undefined ? {} : { streamBatchingWindowMs: options.streamBatchingWindowMs }),
    });
    stoppers.push(
      startDailySchedule({
        functionName: 'compaction',
        handler: functions.compaction,
        at: LakeCompaction,
        timeoutSeconds: LakeCompaction.timeoutSeconds,
        onError: (error) => log(`lake compaction: ${(error as Error)?.message ?? String(error)}`),
      }),
    );
    journal.start();
    // Stoppers run last first: the pollers stop, then the journal takes its final snapshot.
    stoppers.push(() => journal.stop());
    sources.start();
    stoppers.push(...sources.stoppers());

    const localRoutes = consoleRoutes({
      config: { apiUrl: '', local: true, writeKey: DemoProject.writeKey, secretKey: DemoProject.secretKey },
      stats: functions.stats,
      projectOfKey: functions.projectOfKey,
      faults,
      sqs: sqsClient,
      queues,
    });
    const api = await startHttpServer(
      options.port ?? LocalRuntime.defaultPort,
      { ingest: functions.ingest, query: functions.query },
      {
        corsAllowOrigins: config.corsAllowOrigins,
        intercept: async (request) =>
          request.url.pathname === '/health' && !sources.running()
            ? { statusCode: 503, headers: { 'content-type': 'application/json' }, body: '{"status":"starting"}' }
            : localRoutes(request),
      },
    );
    stoppers.push(() => api.close());

    stoppers.push(
      writeRuntimeDescriptor(dataDir, {
        apiUrl: api.url,
        dynamodbEndpoint: dynamo.endpoint,
        sqsEndpoint: sqs.endpoint,
        keysTableName: config.keysTable!,
        eventsTableName: config.eventsTable!,
        aggregatesTableName: config.aggregatesTable!,
        eventsQueueUrl: queues.queueUrl,
        deadLetterQueueUrl: queues.dlqUrl,
        lakeDir,
      }),
    );

    return {
      url: api.url,
      config,
      queues,
      dynamodbEndpoint: dynamo.endpoint,
      sqsEndpoint: sqs.endpoint,
      streamIdle: () => sources.aggregateStream.idle,
      lakeIdle: () => sources.lakeStream.idle,
      lakeDir,
      calls: functions.calls.counts,
      hotKeys: functions.calls.hotKeys!,
      callsByFunction: functions.callsByFunction,
      invocations: functions.invocations.byFunction,
      faults,
      drain: async (progress) => {
        await api.close();
        for (let left = await journal.pending(); left > 0; left = await journal.pending()) {
          progress(left);
          await sleep(1000);
        }
        // The last stored events reach the stream after the queue empties; a bounded wait, since
        // what the consumer has not read yet is read after the next start from its saved position.
        for (let quietPasses = 0, waited = 0; quietPasses < 2 && waited < 10_000; waited += 500) {
          await sleep(500);
          quietPasses = sources.aggregateStream.idle ? quietPasses + 1 : 0;
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stopAll(stoppers: (() => Promise<void>)[], engines: Engine[]): Promise<void> {
  for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  await Promise.all(engines.map((engine) => engine.stop().catch(() => undefined)));
}
