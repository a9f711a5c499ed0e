/** The processor use case with in-memory ports: every event stored once, one `session_start` per session, failures kept to their message. */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { SYNTHETIC_SESSION_START } from '../../lambdas/core/sessions.js';
import { createProcessHandler } from '../../lambdas/process/handler.js';
import { processMessage } from '../../lambdas/process/process.js';
import { messageBody, normalizedEvent, sqsRecord } from '../helpers/factories.js';
import { MemoryProcessPorts } from '../helpers/fakes.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';

const NOW = Date.parse('2024-01-15T10:20:00.000Z');
/** Two events of one device in one 30-minute session, sent in separate messages, the later one first. */
const later = normalizedEvent({ eventId: 'later', timestamp: '2024-01-15T10:12:00.000Z', fingerprint: 'f-later' });
const earlier = normalizedEvent({ eventId: 'earlier', timestamp: '2024-01-15T10:01:00.000Z', fingerprint: 'f-earlier' });

describe('processMessage', () => {
  it('emits session_start only from the message holding the session lock, once however often it is delivered', async () => {
    const ports = new MemoryProcessPorts();
    const first = await processMessage(messageBody([later]), ports, { nowMs: NOW });
    const other = await processMessage(messageBody([earlier]), ports, { nowMs: NOW });
    const redelivered = await processMessage(messageBody([later]), ports, { nowMs: NOW });
    expect([first.sessionsStarted, other.sessionsStarted, redelivered.sessionsStarted]).toEqual([1, 0, 0]);
    expect(ports.storedNamed(SYNTHETIC_SESSION_START)).toHaveLength(1);
    expect(redelivered).toMatchObject({ stored: 0, duplicates: 1 });
  });

  it('finishes the session start of an earlier attempt that stored the event and stopped before its start', async () => {
    const ports = new MemoryProcessPorts();
    ports.failPut = (event) => (event.event === SYNTHETIC_SESSION_START ? new Error('crashed') : undefined);
    await expect(processMessage(messageBody([later]), ports, { nowMs: NOW })).rejects.toThrow('crashed');
    ports.failPut = () => undefined;
    const retry = await processMessage(messageBody([later]), ports, { nowMs: NOW });
    expect(retry).toMatchObject({ stored: 1, duplicates: 1, sessionsStarted: 1 });
    expect(ports.storedNamed(SYNTHETIC_SESSION_START)).toHaveLength(1);
  });

  it('starts no session_start put once beforeWrite refuses, and a retry stores the start', async () => {
    const ports = new MemoryProcessPorts();
    // Out of time once the session's lock is taken: the only write left to start is the session_start put.
    const refuseAfterLock = () => {
      if (ports.locks.size > 0) throw new Error('out of time');
    };
    await expect(processMessage(messageBody([later]), ports, { nowMs: NOW, beforeWrite: refuseAfterLock })).rejects.toThrow('out of time');
    expect(ports.storedNamed(SYNTHETIC_SESSION_START)).toHaveLength(0);
    const retry = await processMessage(messageBody([later]), ports, { nowMs: NOW });
    expect(retry).toMatchObject({ duplicates: 1, sessionsStarted: 1 });
    expect(ports.storedNamed(SYNTHETIC_SESSION_START)).toHaveLength(1);
  });

  it('moves no device once beforeWrite refuses after the events are stored, and a retry moves it', async () => {
    const ports = new MemoryProcessPorts();
    const refuseOnceStored = () => {
      if (ports.storedNamed(later.event).length > 0) throw new Error('out of time');
    };
    await expect(processMessage(messageBody([later]), ports, { nowMs: NOW, beforeWrite: refuseOnceStored })).rejects.toThrow('out of time');
    expect(ports.devices.size).toBe(0);
    await processMessage(messageBody([later]), ports, { nowMs: NOW, redelivered: true });
    expect(ports.devices.get('p|d1')?.lastSeen).toBe(later.timestamp);
  });

  it('reads first when a message is delivered again: what an earlier attempt stored costs no put, a changed copy is still a conflict', async () => {
    const ports = new MemoryProcessPorts();
    await processMessage(messageBody([later, earlier]), ports, { nowMs: NOW });
    let puts = 0;
    ports.failPut = () => {
      puts++;
      return undefined;
    };
    const fresh = normalizedEvent({ eventId: 'fresh', timestamp: '2024-01-15T10:13:00.000Z', fingerprint: 'f-fresh' });
    const changed = { ...earlier, fingerprint: 'other content' };
    const again = await processMessage(messageBody([later, changed, fresh]), ports, { nowMs: NOW, redelivered: true });
    expect(puts).toBe(1);
    expect(again).toMatchObject({ stored: 1, duplicates: 1, conflicts: 1, sessionsStarted: 0 });
    expect(ports.conflicted.map((event) => event.eventId)).toEqual(['earlier']);
  });

  it('keeps an id already stored with other content as a conflict that moves nothing', async () => {
    const ports = new MemoryProcessPorts();
    await processMessage(messageBody([later]), ports, { nowMs: NOW });
    const outcome = await processMessage(
      messageBody([{ ...later, fingerprint: 'other content', timestamp: '2024-01-15T10:15:00.000Z' }]),
      ports,
      { nowMs: NOW },
    );
    expect(outcome).toMatchObject({ stored: 0, conflicts: 1, sessionsStarted: 0 });
    expect(ports.conflicted.map((event) => event.eventId)).toEqual(['later']);
    expect(ports.devices.get('p|d1')?.lastSeen).toBe(later.timestamp);
  });
});

describe('the process handler', () => {
  const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'request-1' } as Context;

  it('fails only the message whose put failed (and the rest of its device group); the other devices are stored', async () => {
    const ports = new MemoryProcessPorts();
    ports.failPut = (event) => (event.eventId === 'broken' ? new Error('put failed') : undefined);
    const records = [
      sqsRecord('m1', messageBody([normalizedEvent({ eventId: 'broken', deviceId: 'a' })])),
      sqsRecord('m2', messageBody([normalizedEvent({ eventId: 'after-broken', deviceId: 'a' })])),
      sqsRecord('m3', messageBody([normalizedEvent({ eventId: 'fine', deviceId: 'b' })])),
    ];
    const response = await createProcessHandler(() => ports)({ Records: records }, context);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['m1', 'm2']);
    expect([...ports.stored.values()].filter((event) => event.event === 'open').map((event) => event.eventId)).toEqual(['fine']);
  });

  it('stops starting writes when the invocation runs low on time, reports the message failed instead of timing out, and a retry completes it', async () => {
    const ports = new MemoryProcessPorts();
    let remainingMs = 60_000;
    const clock = { getRemainingTimeInMillis: () => remainingMs, awsRequestId: 'request-2' } as Context;
    // The 40th write of the big message finds the invocation's time nearly spent.
    let writes = 0;
    ports.failPut = () => {
      if (++writes === 40) remainingMs = 2_000;
      return undefined;
    };
    const big = Array.from({ length: 100 }, (_, i) =>
      normalizedEvent({ eventId: `big-${i}`, deviceId: 'slow', timestamp: '2024-01-15T10:05:00.000Z' }),
    );
    const response = await createProcessHandler(() => ports)({ Records: [sqsRecord('big', messageBody(big))] }, clock);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['big']);
    const storedBig = () => [...ports.stored.keys()].filter((key) => key.includes('big-')).length;
    expect(storedBig()).toBeGreaterThan(0);
    expect(storedBig()).toBeLessThan(100);
    remainingMs = 60_000;
    const retry = await createProcessHandler(() => ports)({ Records: [sqsRecord('big', messageBody(big))] }, clock);
    expect(retry.batchItemFailures).toEqual([]);
    expect(storedBig()).toBe(100);
  });
});
