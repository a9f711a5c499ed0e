import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addToSessions, newestFirst } from '../../lambdas/core/device-sessions.js';
import type { DeviceSession } from '../../resources/api-answers.js';

const timed = fc.record({
  sessionId: fc.constantFrom('s-1', 's-2', 's#3', 'séance'),
  timestamp: fc
    .integer({ min: Date.parse('2024-01-01T00:00:00Z'), max: Date.parse('2024-02-01T00:00:00Z') })
    .map((ms) => new Date(ms).toISOString()),
});

describe('device sessions', () => {
  it('summarizes each session: earliest and latest event, how many', () => {
    const sessions = new Map<string, DeviceSession>();
    addToSessions(sessions, [
      { sessionId: 'a', timestamp: '2024-01-01T10:05:00.000Z' },
      { sessionId: 'b', timestamp: '2024-01-01T12:00:00.000Z' },
      { sessionId: 'a', timestamp: '2024-01-01T10:00:00.000Z' },
      { sessionId: 'a', timestamp: '2024-01-01T10:20:00.000Z' },
    ]);
    expect(newestFirst(sessions.values())).toEqual([
      { sessionId: 'b', firstEventAt: '2024-01-01T12:00:00.000Z', lastEventAt: '2024-01-01T12:00:00.000Z', events: 1 },
      { sessionId: 'a', firstEventAt: '2024-01-01T10:00:00.000Z', lastEventAt: '2024-01-01T10:20:00.000Z', events: 3 },
    ]);
  });

  it('gives the same sessions however the events are split into pages and ordered', () => {
    fc.assert(
      fc.property(fc.array(timed, { maxLength: 60 }), fc.array(fc.nat(60)), (events, cuts) => {
        const whole = new Map<string, DeviceSession>();
        addToSessions(whole, events);
        const paged = new Map<string, DeviceSession>();
        const bounds = [...new Set([0, ...cuts.map((c) => c % (events.length + 1)), events.length])].sort((a, b) => a - b);
        for (let i = 1; i < bounds.length; i++) addToSessions(paged, [...events.slice(bounds[i - 1], bounds[i])].reverse());
        expect(newestFirst(paged.values())).toEqual(newestFirst(whole.values()));
        expect([...whole.values()].reduce((n, s) => n + s.events, 0)).toBe(events.length);
      }),
    );
  });
});
