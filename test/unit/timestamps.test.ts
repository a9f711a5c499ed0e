import { describe, expect, it } from 'vitest';
import { dayBucket, hourBucket, parseTimestamp } from '../../lambdas/core/timestamps.js';

describe('parseTimestamp', () => {
  it.each([
    ['2024-01-15T10:30:00Z', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15T10:30:00.123456Z', '2024-01-15T10:30:00.123Z'],
    ['2024-01-15T10:30:00+02:00', '2024-01-15T08:30:00.000Z'],
    ['2024-01-15T10:30:00-0530', '2024-01-15T16:00:00.000Z'],
    ['2024-01-15T10:30:00', '2024-01-15T10:30:00.000Z'],
    ['2024-01-15 10:30:00', '2024-01-15T10:30:00.000Z'],
    ['2024/01/01', '2024-01-01T00:00:00.000Z'],
    ['2024/1/5 7:05', '2024-01-05T07:05:00.000Z'],
    ['2024-01-15', '2024-01-15T00:00:00.000Z'],
    [1705314600, '2024-01-15T10:30:00.000Z'],
    [1705314600123, '2024-01-15T10:30:00.123Z'],
    ['1705314600', '2024-01-15T10:30:00.000Z'],
    ['1705314600123', '2024-01-15T10:30:00.123Z'],
    [1705314600.5, '2024-01-15T10:30:00.500Z'],
    // A leap second, however many fraction digits it carries, is the next day's first instant (JavaScript time has no 60th second).
    ['2016-12-31T23:59:60Z', '2017-01-01T00:00:00.000Z'],
    ['2016-12-31T23:59:60.000Z', '2017-01-01T00:00:00.000Z'],
    ['2016-12-31T23:59:60.500Z', '2017-01-01T00:00:00.500Z'],
  ])('reads %j', (input, expected) => {
    expect(new Date(parseTimestamp(input)!).toISOString()).toBe(expected);
  });

  it.each([
    ['yesterday'],
    ['2024-13-01'],
    ['2024-02-30'],
    ['2024-01-15T25:00:00Z'],
    ['2024-01-15T10:30:61.000Z'],
    [''],
    [null],
    [{}],
    [Number.NaN],
    [-5],
    [true],
  ])('refuses %j', (input) => {
    expect(parseTimestamp(input)).toBeUndefined();
  });
});

describe('buckets', () => {
  it('cuts UTC hours and days', () => {
    const t = Date.parse('2024-01-15T23:59:59.999Z');
    expect(hourBucket(t)).toBe('2024-01-15T23');
    expect(dayBucket(t)).toBe('2024-01-15');
    expect(dayBucket(t + 1)).toBe('2024-01-16');
  });
});
