/**
 * Ingest CPU: events per second per core for decode, parse, normalize, validate and pack of
 * 2000-event batches in mixed formats, next to JSON.parse of the same bytes in the same run.
 */
import { performance } from 'node:perf_hooks';
import { EventsQueue, Limits } from '../resources/index.js';
import { normalizeRow } from '../lambdas/core/normalize.js';
import { packMessages, type AcceptedRow } from '../lambdas/core/packing.js';
import { parseIngestBody } from '../lambdas/core/request-body.js';

type Format = 'native' | 'segment' | 'array';

export type IngestCpuResult = {
  batches: number;
  eventsPerSecondPerCore: number;
  jsonParseEventsPerSecond: number;
  /** Ingest time per event over JSON.parse time per event: the target is at most 4. */
  ratioToJsonParse: number;
  /**
   * The same ratio per body format. Segment rows carry a client id (`messageId`); the native and
   * bare-array rows carry none, so each of theirs is hashed (SHA-256) into a derived id.
   */
  ratioByFormat: Record<Format, number>;
};

const FORMATS: readonly Format[] = ['native', 'segment', 'array'];

/** A batch of 2000 events of ~500 bytes, in the three body formats and the alias zoo of real fleets. */
export function mixedBatch(format: Format, seed: number, now = Date.now()): Buffer {
  const rows = Array.from({ length: 2000 }, (_, i) => {
    const t = new Date(now - ((i * 7919 + seed) % 3_600_000)).toISOString();
    const props = { screen: 'checkout', plan: 'pro', experiment: `exp-${i % 7}`, note: 'x'.repeat(220) };
    if (format === 'segment') {
      return {
        type: 'track',
        event: 'Order Completed',
        anonymousId: `anon-${i % 50}`,
        messageId: `m-${seed}-${i}`,
        timestamp: t,
        properties: { ...props, revenue: (i % 100) + 0.5 },
        context: { library: { name: 'analytics-ios', version: '4.1.0' } },
      };
    }
    if (i % 2 === 0)
      return {
        event_type: 'click',
        device_id: `dev-${i % 50}`,
        client_id: 'ios',
        amount: String(i % 100),
        created_at: t,
        event_properties: props,
      };
    return { source: 'client_A', payload: { metric: 'purchase', deviceId: `dev-${i % 50}`, value: i % 100, ts: Date.parse(t), ...props } };
  });
  const body = format === 'array' ? rows : format === 'segment' ? { batch: rows, sentAt: new Date(now).toISOString() } : { events: rows };
  return Buffer.from(JSON.stringify(body));
}

export function measureIngestCpu(iterations: number): IngestCpuResult {
  const now = Date.now();
  const batchesOf = (format: Format) => [0, 1].map((seed) => mixedBatch(format, seed, now));
  const batches = FORMATS.flatMap(batchesOf);
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
  const time = (inputs: readonly Buffer[], fn: (bytes: Buffer) => number) => {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) for (const bytes of inputs) sink += fn(bytes);
    return (performance.now() - start) / 1000;
  };
  const parse = (bytes: Buffer) => ((JSON.parse(bytes.toString('utf8')) as unknown[]) ? 1 : 0);
  const ratio = (inputs: readonly Buffer[]) => {
    const ingestSeconds = time(inputs, ingestOnce);
    const parseSeconds = time(inputs, parse);
    return { ingestSeconds, parseSeconds, ratio: Number((ingestSeconds / parseSeconds).toFixed(2)) };
  };
  const all = ratio(batches);
  const ratioByFormat = Object.fromEntries(FORMATS.map((format) => [format, ratio(batchesOf(format)).ratio])) as Record<Format, number>;
  if (sink < 0) throw new Error('unreachable');
  const events = iterations * batches.length * 2000;
  return {
    batches: iterations * batches.length,
    eventsPerSecondPerCore: Math.round(events / all.ingestSeconds),
    jsonParseEventsPerSecond: Math.round(events / all.parseSeconds),
    ratioToJsonParse: all.ratio,
    ratioByFormat,
  };
}
