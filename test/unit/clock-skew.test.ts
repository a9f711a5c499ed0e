/** The skew-correction policy: offline waiting under a once-stamped sentAt is never taken for skew; a wrong clock still is corrected. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SentAtStamping, sentAtStampingOf, skewCorrectionMs } from '../../lambdas/core/clock-skew.js';
import { normalizeRow } from '../../lambdas/core/normalize.js';
import { normalizeContext, RECEIVED_AT } from '../helpers/factories.js';

const THRESHOLD = 60_000;
const HOUR = 3_600_000;

const normalized = (row: Record<string, unknown>, sentAt: number) => {
  const result = normalizeRow(row, 0, normalizeContext({ sentAt }));
  if (!result.ok) throw new Error(result.rejection.error);
  return result.event;
};
const segmentTrack = (library: string | undefined, timestamp: string) => ({
  type: 'track',
  event: 'Song Played',
  anonymousId: 'phone-1',
  messageId: `m-${timestamp}`,
  timestamp,
  ...(library === undefined ? {} : { context: { library: { name: library, version: '1.0.0' } } }),
});

describe('sentAtStampingOf', () => {
  it.each(['analytics-kotlin', 'analytics-swift', 'Analytics-CSharp', 'analytics-csharp'])(
    'knows %s stamps sentAt once per batch',
    (name) => {
      expect(sentAtStampingOf(name)).toBe(SentAtStamping.firstAttempt);
    },
  );

  it.each(['@tidemark/sdk', 'analytics-node', '@segment/analytics-node', 'analytics.js', 'unknown-lib', undefined])(
    'treats %s as stamping per attempt',
    (name) => {
      expect(sentAtStampingOf(name)).toBe(SentAtStamping.perAttempt);
    },
  );
});

describe('skewCorrectionMs', () => {
  const delay = fc.integer({ min: 0, max: 30 * 86_400_000 });

  it('never moves a once-stamped batch for a sentAt behind receipt, however long it waited', () => {
    fc.assert(
      fc.property(delay, (waited) => {
        expect(
          skewCorrectionMs({
            sentAtMs: RECEIVED_AT - waited,
            receivedAtMs: RECEIVED_AT,
            thresholdMs: THRESHOLD,
            stamping: SentAtStamping.firstAttempt,
          }),
        ).toBe(0);
      }),
    );
  });

  it('corrects a clock running ahead whatever the stamping, by exactly the difference', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: THRESHOLD + 1, max: 30 * 86_400_000 }),
        fc.constantFrom(...Object.values(SentAtStamping)),
        (ahead, stamping) => {
          expect(skewCorrectionMs({ sentAtMs: RECEIVED_AT + ahead, receivedAtMs: RECEIVED_AT, thresholdMs: THRESHOLD, stamping })).toBe(
            -ahead,
          );
        },
      ),
    );
  });

  it('corrects a per-attempt sentAt beyond the threshold in either direction, and nothing within it', () => {
    fc.assert(
      fc.property(fc.integer({ min: -30 * 86_400_000, max: 30 * 86_400_000 }), (skew) => {
        const correction = skewCorrectionMs({
          sentAtMs: RECEIVED_AT - skew,
          receivedAtMs: RECEIVED_AT,
          thresholdMs: THRESHOLD,
          stamping: SentAtStamping.perAttempt,
        });
        expect(correction).toBe(Math.abs(skew) > THRESHOLD ? skew : 0);
      }),
    );
  });
});

describe('normalizeRow with the policy', () => {
  it('keeps the own times of a Kotlin batch that waited 6 hours offline', () => {
    const sentAt = RECEIVED_AT - 6 * HOUR;
    for (const offset of [6 * HOUR - 1000, 3 * HOUR, 5 * 60_000]) {
      const time = new Date(RECEIVED_AT - offset).toISOString();
      expect(normalized(segmentTrack('analytics-kotlin', time), sentAt).timestamp).toBe(time);
    }
  });

  it('moves the same batch without a known library, as Segment corrects it', () => {
    const time = new Date(RECEIVED_AT - 7 * HOUR).toISOString();
    expect(normalized(segmentTrack(undefined, time), RECEIVED_AT - 6 * HOUR).timestamp).toBe(new Date(RECEIVED_AT - HOUR).toISOString());
  });

  it('corrects a Swift device whose clock runs 2 hours ahead', () => {
    const time = new Date(RECEIVED_AT + 2 * HOUR - 10 * 60_000).toISOString();
    expect(normalized(segmentTrack('analytics-swift', time), RECEIVED_AT + 2 * HOUR).timestamp).toBe(
      new Date(RECEIVED_AT - 10 * 60_000).toISOString(),
    );
  });

  it('corrects a Tidemark SDK device whose clock is 2 hours behind, keeping the original', () => {
    const row = {
      eventId: 'e-1',
      event: 'tap',
      deviceId: 'd',
      timestamp: new Date(RECEIVED_AT - 2 * HOUR - 60_000).toISOString(),
      context: { library: { name: '@tidemark/sdk', version: '0.1.0' } },
    };
    const event = normalized(row, RECEIVED_AT - 2 * HOUR);
    expect(event.timestamp).toBe(new Date(RECEIVED_AT - 60_000).toISOString());
    expect(event.originalTimestamp).toBe(row.timestamp);
  });
});
