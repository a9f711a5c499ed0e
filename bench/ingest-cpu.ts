/**
 * Ingest CPU: events per second per core for decode, parse, normalize, validate and pack of
 * 2000-event batches in mixed formats, next to JSON.parse of the same bytes in the same run.
 */
import { performance } from 'node:perf_hooks';
import { EventsQueue, Limits } from '../resources/index.js';
import { normalizeRow } from '../lambdas/core/normalize.js';
import { packMessages, type AcceptedRow } from '../lambdas/core/packing.js';
import { parseIngestBody } from '../lambdas/core/request-body.js';

export type IngestCpuResult = {
  batches: number;
  eventsPerSecondPerCore: number;
  jsonParseEventsPerSecond: number;
  /** Ingest time per event over JSON.parse time per event: the target is at most 4. */
  ratioToJsonParse: number;
};

/** A batch of 2000 events of ~500 bytes, in the three body formats and the alias zoo of real fleets. */
export function mixedBatch(format: 'native' | 'segment' | 'array', seed: number, now = Date.now()): Buffer {
  const rows = Array.from({ length: 2000 }, (_, i) => {
    const t = new Date(now - ((i * 7919 + seed) % 3_600_000)).toISOString();
    const props = { screen: 'checkout', plan: 'pro', experiment: `exp-${i % 7}`, note: 'x'.repeat(220) };
    if (format === 'segment') {
      return { type: 'track', event: 'Order Completed', anonymousId: `anon-${i % 50}`, messageId: `m-${seed}-${i}`, timestamp: t, properties: { ...props, revenue: (i % 100) + 0.5 }, context: { library: { name: 'analytics-ios', version: '4.1.0' } } };
    }
    if (i % 2 === 0) return { event_type: 'click', device_id: `dev-${i % 50}`, client_id: 'ios', amount: String(i % 100), created_at: t, event_properties: props };
    return { source: 'client_A', payload: { metric: 'purchase', deviceId: `dev-${i % 50}`, value: i % 100, ts: Date.parse(t), ...props } };
  });
  const body = format === 'array' ? rows : format === 'segment' ? { batch: rows, sentAt: new Date(now).toISOString() } : { events: rows };
  return Buffer.from(JSON.stringify(body));
}

export function measureIngestCpu(iterations: number): IngestCpuResult {
  const now = Date.now();
  const batches = (['native', 'segment', 'array'] as const).flatMap((format) => [0, 1].map((seed) => mixedBatch(format, seed, now)));
  const limits = { maxRequestBytes: Limits.maxRequestBytes, maxEventsPerRequest: Limits.maxEventsPerRequest };
  const context = {
    mode: 'batch' as const,
    receivedAt: now,
    maxEventAgeDays: Limits.maxEventAgeDays,
    futureToleranceMs: Limits.futureToleranceMs,
    skewThresholdMs: Limits.skewThresholdMs,
    maxEventBytes: Limits.maxEventBytes,
  };
  const ingestOnce = (bytes: Buffer) => {
    const body = parseIngestBody(bytes, 'batch', limits);
    const accepted: AcceptedRow[] = [];
    body.rows.forEach((row, index) => {
      const result = normalizeRow(row, index, context);
      if (result.ok) accepted.push({ index, event: result.event, json: result.json, bytes: result.bytes });
    });
    return packMessages('bench', accepted, EventsQueue.maxMessageBytes).length;
  };
  // Warm both paths so the JIT has compiled them before we time anything.
  for (const bytes of batches) {
    ingestOnce(bytes);
    JSON.parse(bytes.toString('utf8'));
  }
  let sink = 0;
  const time = (fn: (bytes: Buffer) => number) => {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) for (const bytes of batches) sink += fn(bytes);
    return (performance.now() - start) / 1000;
  };
  const ingestSeconds = time(ingestOnce);
  const parseSeconds = time((bytes) => (JSON.parse(bytes.toString('utf8')) as unknown[]) ? 1 : 0);
  if (sink < 0) throw new Error('unreachable');
  const events = iterations * batches.length * 2000;
  return {
    batches: iterations * batches.length,
    eventsPerSecondPerCore: Math.round(events / ingestSeconds),
    jsonParseEventsPerSecond: Math.round(events / parseSeconds),
    ratioToJsonParse: Number((ingestSeconds / parseSeconds).toFixed(2)),
  };
}
