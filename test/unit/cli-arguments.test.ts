import { afterEach, describe, expect, it } from 'vitest';
import { isoTime } from '../../cli/arguments.js';

describe('isoTime (rejections replay --from/--to)', () => {
  const zone = process.env.TZ;
  afterEach(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it('reads a time without a zone as UTC, as the API does, whatever the machine’s zone', () => {
    process.env.TZ = 'America/New_York';
    expect(isoTime('2026-01-31T12:00')).toBe(Date.parse('2026-01-31T12:00:00Z'));
    expect(isoTime('2026-01-31')).toBe(Date.parse('2026-01-31T00:00:00Z'));
    expect(isoTime('2026-01-31T12:00:00+02:00')).toBe(Date.parse('2026-01-31T10:00:00Z'));
  });

  it.each([['1'], ['1706702400'], ['March 7'], ['yesterday'], ['+275760-09-13T00:00:00Z']])('refuses %j', (text) => {
    expect(() => isoTime(text)).toThrow('expected an ISO 8601 time');
  });
});
