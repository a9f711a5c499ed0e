import { describe, expect, it } from 'vitest';
import {
  firstEventPerSession,
  isLive,
  sessionBucket,
  sessionIdFor,
  sessionStartFor,
  sessionStartEventId,
  SYNTHETIC_SESSION_START,
} from '../../lambdas/core/sessions.js';
import type { StoredEvent } from '../../lambdas/core/types.js';

const HALF_HOUR = 30 * 60_000;

describe('sessionIdFor', () => {
  it('is deterministic per project, device and 30-minute bucket', () => {
    const t = Date.parse('2024-01-15T10:00:00Z');
    expect(sessionIdFor('p', 'd', t, HALF_HOUR)).toBe(sessionIdFor('p', 'd', t + HALF_HOUR - 1, HALF_HOUR));
    expect(sessionIdFor('p', 'd', t, HALF_HOUR)).not.toBe(sessionIdFor('p', 'd', t + HALF_HOUR, HALF_HOUR));
    expect(sessionIdFor('p', 'd', t, HALF_HOUR)).not.toBe(sessionIdFor('p', 'e', t, HALF_HOUR));
    expect(sessionIdFor('p', 'd', t, HALF_HOUR)).not.toBe(sessionIdFor('q', 'd', t, HALF_HOUR));
  });

  it('puts bucket boundaries on the half hour in UTC', () => {
    const start = Date.parse('2024-01-15T10:30:00.000Z');
    expect(sessionBucket(start, HALF_HOUR)).toBe(sessionBucket(start + HALF_HOUR - 1, HALF_HOUR));
    expect(sessionBucket(start - 1, HALF_HOUR)).toBe(sessionBucket(start, HALF_HOUR) - 1);
  });

  it('gives a week of events 336 distinct sessions, one per bucket', () => {
    const start = Date.parse('2024-01-01T00:00:00Z');
    const ids = new Set(Array.from({ length: 7 * 48 }, (_, i) => sessionIdFor('p', 'd', start + i * HALF_HOUR + 60_000, HALF_HOUR)));
    expect(ids.size).toBe(336);
  });
});

describe('live versus historical', () => {
  it('is live within 30 minutes of now, historical beyond', () => {
    const now = Date.parse('2024-01-15T10:00:00Z');
    expect(isLive(now, now, HALF_HOUR)).toBe(true);
    expect(isLive(now - HALF_HOUR, now, HALF_HOUR)).toBe(true);
    expect(isLive(now - HALF_HOUR - 1, now, HALF_HOUR)).toBe(false);
    expect(isLive(now + 60_000, now, HALF_HOUR)).toBe(true);
  });
});

describe('session_start', () => {
  const stored = (eventId: string, sessionId: string, timestamp: string): StoredEvent => ({
    projectId: 'p',
    eventId,
    event: 'e',
    deviceId: 'd',
    sessionId,
    timestamp,
    originalTimestamp: timestamp,
    receivedAt: timestamp,
    properties: {},
    source: 'ios',
  });

  it('picks the earliest event of each session', () => {
    const events = [
      stored('b', 's1', '2024-01-15T10:05:00.000Z'),
      stored('a', 's1', '2024-01-15T10:01:00.000Z'),
      stored('c', 's2', '2024-01-15T11:00:00.000Z'),
    ];
    expect(
      firstEventPerSession(events)
        .map((e) => e.eventId)
        .sort(),
    ).toEqual(['a', 'c']);
  });

  it('keeps one client session id on two devices apart', () => {
    const events = [
      stored('a', 'shared', '2024-01-15T10:01:00.000Z'),
      { ...stored('b', 'shared', '2024-01-15T10:05:00.000Z'), deviceId: 'other-device' },
    ];
    expect(
      firstEventPerSession(events)
        .map((e) => e.eventId)
        .sort(),
    ).toEqual(['a', 'b']);
  });

  it('is stamped 1 ms before the first event, with an id derived from the device and session, marked synthetic', () => {
    const start = sessionStartFor(stored('a', 's1', '2024-01-15T10:01:00.000Z'), HALF_HOUR);
    expect(start).toMatchObject({
      event: SYNTHETIC_SESSION_START,
      eventId: sessionStartEventId('d', 's1'),
      properties: { synthetic: true, firstEventId: 'a' },
      sessionId: 's1',
      deviceId: 'd',
      source: 'ios',
      timestamp: '2024-01-15T10:00:59.999Z',
    });
  });

  it('never falls in an earlier bucket than its first event: at a bucket start it takes the bucket start', () => {
    for (const at of ['2024-01-15T10:30:00.000Z', '2024-01-16T00:00:00.000Z', '2024-01-15T11:00:00.000Z']) {
      const start = sessionStartFor(stored('a', 's1', at), HALF_HOUR);
      expect(start.timestamp).toBe(at);
      expect(start.originalTimestamp).toBe(at);
    }
  });

  it('scopes the start of a client session id by device', () => {
    expect(sessionStartEventId('d1', 'shared')).not.toBe(sessionStartEventId('d2', 'shared'));
  });
});
