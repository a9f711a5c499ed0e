import { describe, expect, it } from 'vitest';
import {
  counterReadsFor,
  eventNamePartitionsFor,
  needsAllEventsUniques,
  parseAggregateQuery,
  summarize,
  type CounterRow,
} from '../../lambdas/core/aggregate-query.js';

const q = (params: Record<string, string>) =>
  parseAggregateQuery('p', { from: '2024-01-15T00:00:00Z', to: '2024-01-17T00:00:00Z', ...params });

describe('parseAggregateQuery', () => {
  it('defaults to daily, ungrouped, every event', () => {
    expect(q({})).toEqual({
      projectId: 'p',
      fromMs: Date.parse('2024-01-15T00:00:00Z'),
      toMs: Date.parse('2024-01-17T00:00:00Z'),
      granularity: 'day',
      groupBy: 'none',
    });
    expect(q({ event: 'a, b' }).events).toEqual(['a', 'b']);
  });

  it.each([
    [{ from: '' }, 'invalid_parameter'],
    [{ from: 'soon' }, 'invalid_parameter'],
    [{ to: '2024-01-14T00:00:00Z' }, 'invalid_range'],
    [{ granularity: 'week' }, 'invalid_parameter'],
    [{ groupBy: 'device' }, 'invalid_parameter'],
    [{ granularity: 'hour', to: '2024-03-01T00:00:00Z' }, 'range_too_wide'],
    [{ to: '2026-01-01T00:00:00Z' }, 'range_too_wide'],
  ])('answers 400 for %j', (params, code) => {
    expect(() => q(params as Record<string, string>)).toThrow(expect.objectContaining({ status: 400, code }));
  });
});

describe('counterReadsFor', () => {
  it('reads the named events’ partitions only, one per month of hours or year of days, in every shard', () => {
    const hours = counterReadsFor(q({ granularity: 'hour' }), ['buy'], 2, false);
    expect(hours.map((r) => r.pk)).toEqual(['C#p#E#buy#H#2024-01#0', 'C#p#E#buy#H#2024-01#1']);
    const days = counterReadsFor(q({ to: '2025-01-02T00:00:00Z' }), ['buy', 'a#b'], 1, true);
    expect(days.map((r) => r.pk)).toEqual([
      'C#p#E#buy#D#2024#0',
      'C#p#E#a%23b#D#2024#0',
      'C#p#A#2024#0',
      'C#p#E#buy#D#2025#0',
      'C#p#E#a%23b#D#2025#0',
      'C#p#A#2025#0',
    ]);
    const [first] = counterReadsFor(q({ granularity: 'hour', from: '2024-01-15T10:30:00Z' }), ['buy'], 1, false);
    expect(first).toMatchObject({ fromSk: '2024-01-15T10#', toSk: '2024-01-16T23#\uffff' });
    expect(
      counterReadsFor(q({ granularity: 'hour', from: '2024-01-31T23:00:00Z', to: '2024-02-01T01:00:00Z' }), ['buy'], 1, false).map(
        (r) => r.pk,
      ),
    ).toEqual(['C#p#E#buy#H#2024-01#0', 'C#p#E#buy#H#2024-02#0']);
  });

  it('lists the names partitions of every month in range, and needs the all-events uniques only for an ungrouped daily query of every event', () => {
    expect(eventNamePartitionsFor(q({ from: '2023-12-31T00:00:00Z', to: '2024-02-01T00:00:00Z' }))).toEqual([
      'C#p#N#2023-12',
      'C#p#N#2024-01',
    ]);
    expect(needsAllEventsUniques(q({}))).toBe(true);
    for (const params of [{ event: 'buy' }, { groupBy: 'event' }, { granularity: 'hour' }] as Record<string, string>[])
      expect(needsAllEventsUniques(q(params))).toBe(false);
  });
});

describe('summarize', () => {
  const rows: CounterRow[] = [
    { kind: 'count', bucket: '2024-01-15', event: 'buy', source: 'ios', count: 2, sumMicros: 30_000_000n },
    { kind: 'count', bucket: '2024-01-15', event: 'buy', source: 'web', count: 1, sumMicros: 5_000_000n },
    { kind: 'count', bucket: '2024-01-15', event: 'view', source: '', count: 4, sumMicros: 0n },
    { kind: 'count', bucket: '2024-01-16', event: 'view', source: 'ios', count: 1, sumMicros: 0n },
    { kind: 'unique', bucket: '2024-01-15', event: 'buy', count: 2, sumMicros: 0n },
    { kind: 'unique', bucket: '2024-01-15', event: 'view', count: 3, sumMicros: 0n },
    { kind: 'unique', bucket: '2024-01-15', count: 4, sumMicros: 0n },
    { kind: 'unique', bucket: '2024-01-16', count: 1, sumMicros: 0n },
  ];

  it('sums everything per bucket with the day’s unique devices', () => {
    expect(summarize(rows, q({}))).toEqual([
      { bucket: '2024-01-15T00:00:00.000Z', count: 7, sum: 35, sumExact: '35', uniqueDevices: 4 },
      { bucket: '2024-01-16T00:00:00.000Z', count: 1, sum: 0, sumExact: '0', uniqueDevices: 1 },
    ]);
  });

  it('groups by event with per-event unique devices', () => {
    expect(summarize(rows, q({ groupBy: 'event', event: 'buy,view' }))).toEqual([
      { bucket: '2024-01-15T00:00:00.000Z', event: 'buy', count: 3, sum: 35, sumExact: '35', uniqueDevices: 2 },
      { bucket: '2024-01-15T00:00:00.000Z', event: 'view', count: 4, sum: 0, sumExact: '0', uniqueDevices: 3 },
      { bucket: '2024-01-16T00:00:00.000Z', event: 'view', count: 1, sum: 0, sumExact: '0' },
    ]);
  });

  it('groups by source, the missing source as null, without unique devices', () => {
    expect(summarize(rows, q({ groupBy: 'source', event: 'buy' }))).toEqual([
      { bucket: '2024-01-15T00:00:00.000Z', source: 'ios', count: 2, sum: 30, sumExact: '30' },
      { bucket: '2024-01-15T00:00:00.000Z', source: 'web', count: 1, sum: 5, sumExact: '5' },
    ]);
    expect(summarize(rows, q({ groupBy: 'source', event: 'view' }))[0]).toEqual({
      bucket: '2024-01-15T00:00:00.000Z',
      source: null,
      count: 4,
      sum: 0,
      sumExact: '0',
    });
  });

  it('adds the parts of a counter that several shards hold, unique devices included', () => {
    const sharded: CounterRow[] = [
      { kind: 'count', bucket: '2024-01-15', event: 'buy', source: 'ios', count: 2, sumMicros: 1n },
      { kind: 'count', bucket: '2024-01-15', event: 'buy', source: 'ios', count: 3, sumMicros: 2n },
      { kind: 'unique', bucket: '2024-01-15', event: 'buy', count: 1, sumMicros: 0n },
      { kind: 'unique', bucket: '2024-01-15', event: 'buy', count: 2, sumMicros: 0n },
    ];
    expect(summarize(sharded, q({ event: 'buy' }))).toEqual([
      { bucket: '2024-01-15T00:00:00.000Z', count: 5, sum: 0.000003, sumExact: '0.000003', uniqueDevices: 3 },
    ]);
  });

  it('filters one event and gives its unique devices; several events have no summable uniques', () => {
    expect(summarize(rows, q({ event: 'buy' }))).toEqual([
      { bucket: '2024-01-15T00:00:00.000Z', count: 3, sum: 35, sumExact: '35', uniqueDevices: 2 },
    ]);
    expect(summarize(rows, q({ event: 'buy,view' }))[0]).not.toHaveProperty('uniqueDevices');
  });
});
