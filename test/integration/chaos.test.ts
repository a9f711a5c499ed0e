/**
 * The chaos scenario in small: every fault kind fires while a client sends, resends and retries,
 * and nothing accepted is lost, nothing is stored or counted twice, and only poison reaches the DLQ.
 * `npm run chaos` runs the same scenario at full size.
 */
import { expect, it } from 'vitest';
import { runChaos } from '../../chaos/scenario.js';

it('loses nothing and counts nothing twice under every fault at once, with hostile rows and varied stream redelivery', {
  timeout: 600_000,
}, async () => {
  const report = await runChaos({
    events: 1500,
    devices: 30,
    // Small uploads make many small messages, so the processor runs often enough that its crashes
    // are all but sure to fire (with uploads of 25 it ran ~20 times and, a few runs in a hundred, never
    // crashed); 10% keeps a legitimate message's odds of failing all 5 receives negligible.
    batchSize: 5,
    concurrency: 4,
    faultRate: 0.1,
    resendRate: 0.3,
    poisonMessages: 3,
    hostileRate: 0.05,
    seed: 11,
    quietMs: 120_000,
    timeoutMs: 480_000,
  });
  // At this size not every kind is sure to fire (the full `npm run chaos` checks that they all do); the crashes must.
  const { processCrashBefore, processCrashBetween, processCrashAfter, aggregateCrashBefore, aggregateCrashBetween, aggregateCrashAfter } =
    report.injected;
  expect(processCrashBefore + processCrashBetween + processCrashAfter).toBeGreaterThan(0);
  expect(aggregateCrashBefore + aggregateCrashBetween + aggregateCrashAfter).toBeGreaterThan(0);
  expect(report.injected.sqsSendFailure + report.injected.dynamoThrottle).toBeGreaterThan(0);
  expect(report.hostileRows).toBeGreaterThan(0);
  expect(report.accepted).toBe(1500);
  expect(report.missing, report.missingIds.join(', ')).toBe(0);
  expect(report.unexpected, report.unexpectedIds.join(', ')).toBe(0);
  expect(report.storedEvents).toBe(1500);
  expect(report.counterMismatches).toEqual([]);
  expect(report.deadLetters.poison).toBe(3);
  expect(report.deadLetters.other).toBe(0);
  expect(report.ok).toBe(true);
  expect(report.sent.wholeBatchResends).toBeGreaterThan(0);
});
