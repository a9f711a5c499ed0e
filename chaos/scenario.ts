/**
 * The chaos scenario: push a workload through the local runtime while every kind of fault fires,
 * behave as a well-written client (resend what is retryable, resend whole batches now and then),
 * and check the promise against a ground truth kept here: every accepted row stored exactly once,
 * counters and unique devices equal to the truth, and only the poison messages in the DLQ.
 */
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { createDocumentClient } from '../lambdas/adapters/clients.js';
import { DemoProject, startRuntime, type Runtime } from '../local/runtime.js';
import type { FaultCounts } from '../local/faults.js';
import { GroundTruth, type SentRow } from './ground-truth.js';

export type ChaosOptions = {
  readonly events: number;
  readonly devices: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly faultRate: number;
  /** Share of batches the client sends a second time after a 202. */
  readonly resendRate: number;
  readonly poisonMessages: number;
  readonly seed: number;
  readonly timeoutMs: number;
  readonly log?: (line: string) => void;
};

export type ChaosReport = {
  readonly injected: FaultCounts;
  readonly silentFaultKinds: string[];
  readonly sent: { rows: number; requests: number; wholeBatchResends: number; retryableRowsResent: number };
  readonly accepted: number;
  readonly storedEvents: number;
  readonly missing: number;
  readonly unexpected: number;
  readonly countersMatch: boolean;
  readonly counterMismatches: string[];
  readonly deadLetters: { poison: number; other: number };
  readonly ok: boolean;
};

type Row = SentRow & { eventId: string };

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'tidemark-chaos-'));
  const rate = options.faultRate;
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    log,
    faults: { seed: options.seed, sqsSendFailure: rate, dynamoThrottle: rate, processCrash: rate, aggregateCrash: rate, visibilityExpiry: rate, streamRedelivery: rate },
    failedVisibilitySeconds: 1,
    streamRetryDelayMs: 20,
    streamBatchingWindowMs: 200,
  });
  try {
    const sqs = new SQSClient({ endpoint: runtime.sqsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const poison = Array.from({ length: options.poisonMessages }, (_, i) => `{"poison":${i}}`);
    for (const [i, body] of poison.entries()) {
      await sqs.send(new SendMessageCommand({ QueueUrl: runtime.queues.queueUrl, MessageBody: body, MessageGroupId: `demo#poison-${i}`, MessageDeduplicationId: `poison-${i}` }));
    }

    const truth = new GroundTruth();
    const rows = workload(options);
    const sent = await sendLikeAGoodClient(runtime.url, rows, options, truth, log);
    log(`sent ${sent.rows} rows in ${sent.requests} requests; waiting for the pipeline to settle`);

    const expected = truth.withSessionStarts().length;
    await settle(runtime, expected, options.timeoutMs, log);

    const storedIds = await storedEventIds(runtime);
    const acceptedIds = new Set(sent.acceptedIds);
    const missing = [...acceptedIds].filter((id) => !storedIds.has(id)).length;
    const unexpected = [...storedIds].filter((id) => !acceptedIds.has(id) && !id.startsWith('session_start-')).length;
    const counterMismatches = await compareCounters(runtime, truth);
    const deadLetters = await drainDeadLetters(sqs, runtime.queues.dlqUrl, new Set(poison));
    sqs.destroy();

    const report: ChaosReport = {
      injected: { ...runtime.faults.counts },
      silentFaultKinds: runtime.faults.silentKinds(),
      sent: { rows: sent.rows, requests: sent.requests, wholeBatchResends: sent.wholeBatchResends, retryableRowsResent: sent.retryableRowsResent },
      accepted: acceptedIds.size,
      storedEvents: [...storedIds].filter((id) => !id.startsWith('session_start-')).length,
      missing,
      unexpected,
      countersMatch: counterMismatches.length === 0,
      counterMismatches,
      deadLetters,
      ok: false,
    };
    return { ...report, ok: missing === 0 && unexpected === 0 && counterMismatches.length === 0 && deadLetters.other === 0 && deadLetters.poison === poison.length };
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Rows in time order per device, each device with one source, timestamps on the half second. */
function workload(options: ChaosOptions): Row[] {
  const now = Date.now();
  const span = 4 * 3_600_000;
  const rows: Row[] = [];
  for (let i = 0; i < options.events; i++) {
    const device = i % options.devices;
    const t = now - span + Math.floor(((i * 7919) % span) / 1000) * 1000 + 500;
    rows.push({
      eventId: `chaos-${options.seed}-${i}`,
      event: ['open', 'view', 'purchase'][i % 3]!,
      deviceId: `chaos-device-${device}`,
      source: device % 2 ? 'ios' : 'android',
      ...(i % 3 === 2 ? { value: (i % 50) + 0.25 } : {}),
      timestamp: new Date(t).toISOString(),
    });
  }
  return rows.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}

async function sendLikeAGoodClient(url: string, rows: Row[], options: ChaosOptions, truth: GroundTruth, log: (line: string) => void) {
  // Each batch is one device's rows in time order, as an SDK on that device uploads them.
  const byDevice = new Map<string, Row[]>();
  for (const row of rows) byDevice.set(row.deviceId, [...(byDevice.get(row.deviceId) ?? []), row]);
  const queue: Row[][] = [];
  for (const deviceRows of byDevice.values()) {
    for (let i = 0; i < deviceRows.length; i += options.batchSize) queue.push(deviceRows.slice(i, i + options.batchSize));
  }
  const stats = { rows: rows.length, requests: 0, wholeBatchResends: 0, retryableRowsResent: 0, acceptedIds: [] as string[] };
  let random = options.seed;
  const next = () => ((random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const post = async (batch: Row[]) => {
    for (let attempt = 0; ; attempt++) {
      stats.requests++;
      const response = await fetch(`${url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DemoProject.writeKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: batch, sentAt: new Date().toISOString() }),
      }).catch(() => undefined);
      if (response?.status === 202) return (await response.json()) as { accepted: number; rejected: { index: number; retryable: boolean }[] };
      if (attempt > 20) throw new Error(`batch refused: ${response?.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100 * Math.min(2 ** attempt, 20)));
    }
  };
  let done = 0;
  const worker = async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) {
      const reply = await post(batch);
      const retry = new Set(reply.rejected.filter((r) => r.retryable).map((r) => r.index));
      for (const [index, row] of batch.entries()) {
        if (retry.has(index)) continue;
        truth.add(row.eventId, row);
        stats.acceptedIds.push(row.eventId);
      }
      if (retry.size > 0) {
        stats.retryableRowsResent += retry.size;
        queue.push(batch.filter((_, i) => retry.has(i)));
      }
      if (next() < options.resendRate) {
        stats.wholeBatchResends++;
        await post(batch);
      }
      if (++done % 50 === 0) log(`${done} batches answered`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return stats;
}

async function aggregateTotal(runtime: Runtime): Promise<number> {
  const from = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
  const to = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  const response = await fetch(`${runtime.url}/v1/aggregates?from=${from}&to=${to}`, { headers: { 'x-api-key': DemoProject.secretKey } });
  const body = (await response.json()) as { series: { count: number }[] };
  return body.series.reduce((sum, p) => sum + p.count, 0);
}

/** Waits until the counters reach the truth and then hold still for a few seconds (no late double count). */
async function settle(runtime: Runtime, expected: number, timeoutMs: number, log: (line: string) => void) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const total = await aggregateTotal(runtime);
    if (total !== last) {
      log(`counted ${total} of ${expected}`);
      last = total;
      stableSince = Date.now();
    }
    if (total >= expected && Date.now() - stableSince > 5000 && runtime.streamIdle()) return;
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function storedEventIds(runtime: Runtime): Promise<Set<string>> {
  const documents = createDocumentClient(runtime.config);
  const ids = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: runtime.config.eventsTable!, ExclusiveStartKey: start, ProjectionExpression: 'eventId, projectId' }));
    for (const item of page.Items ?? []) if (item.projectId === DemoProject.projectId) ids.add(String(item.eventId));
    start = page.LastEvaluatedKey;
  } while (start);
  documents.destroy();
  return ids;
}

async function compareCounters(runtime: Runtime, truth: GroundTruth): Promise<string[]> {
  const mismatches: string[] = [];
  const from = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const to = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  for (const granularity of ['hour', 'day'] as const) {
    for (const groupBy of ['none', 'event', 'source'] as const) {
      const response = await fetch(`${runtime.url}/v1/aggregates?from=${from}&to=${to}&granularity=${granularity}&groupBy=${groupBy}`, {
        headers: { 'x-api-key': DemoProject.secretKey },
      });
      const body = (await response.json()) as { series: unknown[] };
      const expected = truth.series(granularity, groupBy);
      if (!isDeepStrictEqual(body.series, expected)) {
        mismatches.push(`${granularity}/${groupBy}: got ${JSON.stringify(body.series).slice(0, 300)} expected ${JSON.stringify(expected).slice(0, 300)}`);
      }
    }
  }
  return mismatches;
}

async function drainDeadLetters(sqs: SQSClient, dlqUrl: string, poison: Set<string>) {
  const counts = { poison: 0, other: 0 };
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 300 }));
    if (Messages.length === 0) return counts;
    for (const message of Messages) {
      if (poison.has(message.Body ?? '')) counts.poison++;
      else counts.other++;
    }
  }
}
