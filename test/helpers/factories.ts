/** Record factories for the fast tests: normalize contexts, queue message bodies, SQS records and stream entries. */
import type { SQSRecord } from 'aws-lambda';
import type { StreamEntry } from '../../lambdas/aggregate/aggregate.js';
import type { NormalizeContext } from '../../lambdas/core/normalize.js';
import type { EventMessageBody } from '../../lambdas/core/packing.js';
import type { NormalizedEvent } from '../../lambdas/core/types.js';

export const RECEIVED_AT = Date.parse('2024-01-20T12:00:00.000Z');

export const normalizeContext = (overrides: Partial<NormalizeContext> = {}): NormalizeContext => ({
  mode: 'batch',
  receivedAt: RECEIVED_AT,
  maxEventAgeDays: 5,
  futureToleranceMs: 10 * 60_000,
  skewThresholdMs: 60_000,
  maxEventBytes: 64 * 1024,
  ...overrides,
});

/** A normalized event as the ingest function queues it. */
export const normalizedEvent = (overrides: Partial<NormalizedEvent> = {}): NormalizedEvent => {
  const timestamp = overrides.timestamp ?? '2024-01-15T10:00:00.000Z';
  return {
    eventId: 'e1',
    event: 'open',
    deviceId: 'd1',
    timestamp,
    originalTimestamp: timestamp,
    receivedAt: '2024-01-15T10:00:01.000Z',
    properties: {},
    ...overrides,
  };
};

/** One queue message: a device's events of a project. */
export const messageBody = (events: readonly NormalizedEvent[], projectId = 'p'): EventMessageBody => ({
  projectId,
  deviceId: events[0]?.deviceId ?? 'd1',
  events,
});

/** An SQS FIFO record carrying `body`, in the group of its device. */
export const sqsRecord = (id: string, body: EventMessageBody, overrides: Partial<SQSRecord['attributes']> = {}): SQSRecord => ({
  messageId: id,
  receiptHandle: `receipt-${id}`,
  body: JSON.stringify(body),
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'sender',
    ApproximateFirstReceiveTimestamp: '0',
    MessageGroupId: `${body.projectId}#${body.deviceId}`,
    MessageDeduplicationId: id,
    SequenceNumber: '1',
    ...overrides,
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events.fifo',
  awsRegion: 'us-east-1',
});

export const STREAM_TIME_MS = Date.parse('2024-01-15T10:00:00Z');

/** Stream entry `i` (sequence number 1000 + i): an event of 3 names over 7 devices, one a minute, worth `i`. */
export const streamEntry = (i: number, overrides: { deviceId?: string; valueMicros?: bigint } = {}): StreamEntry => ({
  sequenceNumber: String(1000 + i),
  raw: `record ${i}`,
  event: {
    sequenceNumber: String(1000 + i),
    projectId: 'p',
    eventId: `e${i}`,
    event: `ev${i % 3}`,
    deviceId: overrides.deviceId ?? `d${i % 7}`,
    timeMs: STREAM_TIME_MS + i * 60_000,
    valueMicros: overrides.valueMicros ?? BigInt(i) * 1_000_000n,
  },
});
