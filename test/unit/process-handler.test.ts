/**
 * The process handler with fast fakes, for what the local runtime cannot show on demand: an
 * invocation short of time hands back the messages it has not started, and throttling is retried
 * inside the invocation instead of failing a message (spending one of its receives).
 */
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { EventStore } from '../../lambdas/process/ports.js';
import { createProcessHandler } from '../../lambdas/process/handler.js';
import { ProcessFunction } from '../../resources/index.js';
import type { ProcessDependencies } from '../../lambdas/process/ports.js';
import type { StoredEvent } from '../../lambdas/core/types.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';

const record = (i: number, deviceId = `d${i}`): SQSRecord =>
  ({
    messageId: `m${i}`,
    receiptHandle: `r${i}`,
    body: JSON.stringify({
      projectId: 'p',
      events: [
        {
          eventId: `e${i}`,
          event: 'open',
          deviceId,
          timestamp: '2024-01-15T10:00:00.000Z',
          originalTimestamp: '2024-01-15T10:00:00.000Z',
          receivedAt: '2024-01-15T10:00:01.000Z',
          properties: {},
        },
      ],
    }),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: `p#${deviceId}`,
      MessageDeduplicationId: `m${i}`,
      SequenceNumber: String(i),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:0:q.fifo',
    awsRegion: 'us-east-1',
  }) as SQSRecord;

function fakeDeps(putIfAbsent: EventStore['putIfAbsent']): ProcessDependencies & { stored: StoredEvent[]; conflicts: StoredEvent[] } {
  const stored: StoredEvent[] = [];
  const conflicts: StoredEvent[] = [];
  return {
    stored,
    conflicts,
    events: {
      putIfAbsent: async (event) => {
        const outcome = await putIfAbsent(event);
        if (outcome === 'stored') stored.push(event);
        return outcome;
      },
    },
    storedCopies: async () => new Map(),
    acquireSessionLock: async () => true,
    advanceDevice: async () => undefined,
    recordConflicts: async (_, events) => void conflicts.push(...events),
  };
}

const contextWith = (remainingMs: () => number) => ({ getRemainingTimeInMillis: remainingMs, awsRequestId: 'req' }) as unknown as Context;
const throttled = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ProvisionedThroughputExceededException' });

describe('the process handler', () => {
  it('stops taking messages when its remaining time runs low and reports the rest as failures, untouched', async () => {
    const deps = fakeDeps(async () => 'stored');
    // Each message "costs" less than the gap between the message and the write reserves, as the
    // reserves are sized for: a message started with time enough finishes all its writes.
    const cost = ProcessFunction.messageTimeReserveMs - ProcessFunction.writeTimeReserveMs - 1_000;
    let remaining = ProcessFunction.messageTimeReserveMs + 3 * cost + 1_000;
    const handler = createProcessHandler(() => ({
      ...deps,
      acquireSessionLock: async () => {
        remaining -= cost;
        return true;
      },
    }));
    // One device's six messages: in order, one at a time.
    const event: SQSEvent = { Records: Array.from({ length: 6 }, (_, i) => record(i, 'one-device')) };
    const response = await handler(
      event,
      contextWith(() => remaining),
    );
    const failed = response.batchItemFailures.map((f) => f.itemIdentifier);
    expect(remaining).toBeLessThan(ProcessFunction.messageTimeReserveMs);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(6);
    // Every failed message was never started: none of its events reached the store.
    const storedIds = new Set(deps.stored.map((e) => e.eventId));
    for (const id of failed) expect(storedIds.has(`e${id.slice(1)}`)).toBe(false);
  });

  it('retries throttled writes inside the invocation, so a throttled message does not fail', async () => {
    let throttles = 5;
    const deps = fakeDeps(async () => {
      if (throttles-- > 0) throw throttled();
      return 'stored';
    });
    const handler = createProcessHandler(() => deps);
    const response = await handler(
      { Records: [record(1), record(2)] },
      contextWith(() => 25_000),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(
      deps.stored
        .filter((e) => e.event === 'open')
        .map((e) => e.eventId)
        .sort(),
    ).toEqual(['e1', 'e2']);
  });

  it("processes other devices side by side and fails only the rest of a failing device's group", async () => {
    let inFlight = 0;
    let most = 0;
    const deps = fakeDeps(async (event) => {
      if (event.eventId === 'e1') throw new Error('boom');
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      return 'stored';
    });
    const handler = createProcessHandler(() => deps);
    const records = [record(1, 'a'), record(2, 'a'), record(3, 'b'), record(4, 'c'), record(5, 'd')];
    const response = await handler(
      { Records: records },
      contextWith(() => 25_000),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
    expect(most).toBeGreaterThan(1);
  });

  it('keeps a copy whose id was stored with other content as a conflict, and starts no session from it', async () => {
    const deps = fakeDeps(async (event) => (event.eventId === 'e1' ? 'conflict' : 'stored'));
    let locks = 0;
    const handler = createProcessHandler(() => ({
      ...deps,
      acquireSessionLock: async () => {
        locks++;
        return true;
      },
    }));
    const response = await handler(
      { Records: [record(1, 'a'), record(2, 'b')] },
      contextWith(() => 25_000),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.conflicts.map((e) => e.eventId)).toEqual(['e1']);
    expect(locks).toBe(1);
  });

  it('still fails a message whose failure is not throttling (poison goes on toward the DLQ)', async () => {
    const deps = fakeDeps(async () => 'stored');
    const handler = createProcessHandler(() => deps);
    const poison = { ...record(9), body: '{"poison":true}' };
    const response = await handler(
      { Records: [poison, record(3)] },
      contextWith(() => 25_000),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm9' }]);
  });
});
