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
import { Limits } from '../resources/limits.js';
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
  /** Share of rows made hostile: huge and tiny values, long non-ASCII names, `#` in ids, characters SQS refuses, alias collisions. */
  readonly hostileRate: number;
  readonly seed: number;
  /** The verdict comes once the counts have not moved for this long (or at `timeoutMs` at the latest). */
  readonly quietMs: number;
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
  /** Accepted events never stored, named (the first 20). */
  readonly missingIds: string[];
  /** Stored events that were never accepted, named (the first 20). */
  readonly unexpectedIds: string[];
  readonly hostileRows: number;
  readonly deadLetters: { poison: number; other: number };
  readonly ok: boolean;
};

type Row = SentRow & { eventId: string; hostile?: boolean; [field: string]: unknown };

/**
 * Hostile variations of a row that must still be stored and counted as sent: values at the edges of
 * the numeric contract, non-ASCII names at the byte limit, separators in ids, a character SQS refuses
 * (in a property: how the API treats it in a counted field is the ingest tests' business), alias
 * collisions the normalizer must resolve to the canonical field.
 */
const HOSTILE: ((row: Row, i: number) => Row)[] = [
  (row) => ({ ...row, value: 1e12 }),
  (row) => ({ ...row, value: -999_999_999_999.5 }),
  (row) => ({ ...row, value: 0.000001 }),
  (row) => ({ ...row, value: 123_456.789012 }),
  // Exactly at the limit in UTF-8 bytes: two bytes per character.
  (row) => ({ ...row, event: 'é'.repeat(Limits.maxKeyFieldBytes / 2) }),
  (row) => ({ ...row, event: `${row.event}#%~` }),
  (row, i) => ({ ...row, eventId: `${row.eventId}#demo#${i}` }),
  (row) => ({ ...row, properties: { note: 'refused by SQS: \ufffe\uffff' } }),
  (row) => ({ ...row, name: 'not-the-event', price: 99.99, quantity: 3, value: 7 }),
];

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'tidemark-chaos-'));
  const rate = options.faultRate;
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    log,
    faults: {
      seed: options.seed,
      sqsSendFailure: rate,
      dynamoThrottle: rate,
      processCrash: rate,
      aggregateCrash: rate,
      visibilityExpiry: rate,
      streamRedelivery: rate,
    },
    failedVisibilitySeconds: 1,
    streamRetryDelayMs: 20,
    streamBatchingWindowMs: 200,
  });
  try {
    const sqs = new SQSClient({
      endpoint: runtime.sqsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    const poison = Array.from({ length: options.poisonMessages }, (_, i) => `{"poison":${i}}`);
    for (const [i, body] of poison.entries()) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: runtime.queues.queueUrl,
          MessageBody: body,
          MessageGroupId: `demo#poison-${i}`,
          MessageDeduplicationId: `poison-${i}`,
        }),
      );
    }

    const truth = new GroundTruth();
    const rows = workload(options);
    const sent = await sendLikeAGoodClient(runtime.url, rows, options, truth, log);
    log(`sent ${sent.rows} rows in ${sent.requests} requests; waiting for the pipeline to settle`);

    const expected = truth.withSessionStarts().length;
    await settle(runtime, expected, options, log);

    const storedIds = await storedEventIds(runtime);
    const acceptedIds = new Set(sent.acceptedIds);
    const missingIds = [...acceptedIds].filter((id) => !storedIds.has(id));
    const unexpectedIds = [...storedIds].filter((id) => !acceptedIds.has(id) && !id.startsWith('session_start-'));
    const unexpected = unexpectedIds.length;
    if (unexpected > 0)
      log(
        `stored but never accepted: ${unexpectedIds
          .slice(0, 20)
          .map((id) => JSON.stringify(id))
          .join(', ')}`,
      );
    const counterMismatches = await compareCounters(runtime, truth);
    // Poison reaches the DLQ only after maxReceiveCount receives with growing visibility timeouts: wait for it.
    const deadLetters = await drainDeadLetters(sqs, runtime.queues.dlqUrl, new Set(poison), options.quietMs);
    if (missingIds.length > 0)
      log(`accepted but never stored: ${missingIds.slice(0, 20).join(', ')}${missingIds.length > 20 ? ', …' : ''}`);
    for (const mismatch of counterMismatches) log(`counter mismatch: ${mismatch}`);
    sqs.destroy();

    const report: ChaosReport = {
      injected: { ...runtime.faults.counts },
      silentFaultKinds: runtime.faults.silentKinds(),
      sent: {
        rows: sent.rows,
        requests: sent.requests,
        wholeBatchResends: sent.wholeBatchResends,
        retryableRowsResent: sent.retryableRowsResent,
      },
      accepted: acceptedIds.size,
      storedEvents: [...storedIds].filter((id) => !id.startsWith('session_start-')).length,
      missing: missingIds.length,
      missingIds: missingIds.slice(0, 20),
      unexpectedIds: unexpectedIds.slice(0, 20),
      hostileRows: rows.filter((row) => row.hostile).length,
      unexpected,
      countersMatch: counterMismatches.length === 0,
      counterMismatches,
      deadLetters,
      ok: false,
    };
    return {
      ...report,
      ok:
        missingIds.length === 0 &&
        unexpected === 0 &&
        counterMismatches.length === 0 &&
        deadLetters.other === 0 &&
        deadLetters.poison === poison.length,
    };
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Rows in time order per device, each device with one source, timestamps on the half second, some hostile. */
function workload(options: ChaosOptions): Row[] {
  const now = Date.now();
  const span = 4 * 3_600_000;
  const rows: Row[] = [];
  for (let i = 0; i < options.events; i++) {
    const device = i % options.devices;
    const t = now - span + Math.floor(((i * 7919) % span) / 1000) * 1000 + 500;
    const row: Row = {
      eventId: `chaos-${options.seed}-${i}`,
      event: ['open', 'view', 'purchase'][i % 3]!,
      // A `#` in some device ids: a key part must never split on it.
      deviceId: device % 10 === 9 ? `chaos#device-${device}` : `chaos-device-${device}`,
      source: device % 2 ? 'ios' : 'android',
      ...(i % 3 === 2 ? { value: (i % 50) + 0.25 } : {}),
      timestamp: new Date(t).toISOString(),
    };
    const hostile = (i * 2654435761) % 1000 < options.hostileRate * 1000;
    rows.push(hostile ? { ...HOSTILE[i % HOSTILE.length]!(row, i), hostile: true } : row);
  }
  return rows.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}

const MAX_ROW_ATTEMPTS = 5;

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
  const next = () => (random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const post = async (batch: Row[]) => {
    for (let attempt = 0; ; attempt++) {
      stats.requests++;
      const response = await fetch(`${url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DemoProject.writeKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: batch.map(({ hostile: _hostile, ...row }) => row), sentAt: new Date().toISOString() }),
      }).catch(() => undefined);
      if (response?.status === 202)
        return (await response.json()) as { accepted: number; rejected: { index: number; retryable: boolean }[] };
      if (attempt > 20) throw new Error(`batch refused: ${response?.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100 * Math.min(2 ** attempt, 20)));
    }
  };
  const attempts = new Map<string, number>();
  let done = 0;
  const worker = async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) {
      const reply = await post(batch);
      const rejected = new Set(reply.rejected.map((r) => r.index));
      // A well-written SDK resends a retryable row a few times, then reports it instead of blocking its queue.
      const retry = new Set(
        reply.rejected.filter((r) => r.retryable && (attempts.get(batch[r.index]!.eventId) ?? 0) < MAX_ROW_ATTEMPTS).map((r) => r.index),
      );
      for (const [index, row] of batch.entries()) {
        attempts.set(row.eventId, (attempts.get(row.eventId) ?? 0) + 1);
        if (rejected.has(index)) continue;
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

/**
 * Waits until the counters reach the truth and then hold still for a few seconds (no late double
 * count), or until they have not moved for `quietMs`: then the verdict names what is missing.
 */
async function settle(runtime: Runtime, expected: number, options: ChaosOptions, log: (line: string) => void) {
  const deadline = Date.now() + options.timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const total = await aggregateTotal(runtime);
    if (total !== last) {
      log(`counted ${total} of ${expected}`);
      last = total;
      stableSince = Date.now();
    }
    const still = Date.now() - stableSince;
    if (runtime.streamIdle() && ((total >= expected && still > 5000) || still > options.quietMs)) return;
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function storedEventIds(runtime: Runtime): Promise<Set<string>> {
  const documents = createDocumentClient(runtime.config);
  const ids = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({ TableName: runtime.config.eventsTable!, ExclusiveStartKey: start, ProjectionExpression: 'eventId, projectId' }),
    );
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
        mismatches.push(
          `${granularity}/${groupBy}: got ${JSON.stringify(body.series).slice(0, 300)} expected ${JSON.stringify(expected).slice(0, 300)}`,
        );
      }
    }
  }
  return mismatches;
}

/** Takes everything from the DLQ, waiting up to `waitMs` for the planted poison to arrive. */
async function drainDeadLetters(sqs: SQSClient, dlqUrl: string, poison: Set<string>, waitMs: number) {
  const counts = { poison: 0, other: 0 };
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 300 }),
    );
    for (const message of Messages) {
      if (poison.has(message.Body ?? '')) counts.poison++;
      else counts.other++;
    }
    if (Messages.length === 0 && (counts.poison >= poison.size || Date.now() > deadline)) return counts;
  }
}
