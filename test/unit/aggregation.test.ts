import { describe, expect, it } from 'vitest';
import {
  compareSequenceNumbers,
  counterIdsOf,
  counterShardFor,
  groupForTransactions,
  planCounters,
  type CountedEvent,
} from '../../lambdas/core/aggregation.js';

let seq = 100;
const counted = (overrides: Partial<CountedEvent> = {}): CountedEvent => ({
  sequenceNumber: String(seq++),
  projectId: 'p',
  eventId: `e${seq}`,
  event: 'purchase',
  deviceId: 'd1',
  timeMs: Date.parse('2024-01-15T10:15:00Z'),
  source: 'ios',
  valueMicros: 10_000_000n,
  ...overrides,
});

describe('planCounters', () => {
  it('pre-aggregates count and sum per hour and per day and source', () => {
    const plan = planCounters([
      counted(),
      counted({ valueMicros: 5_000_000n }),
      counted({ source: 'web' }),
      counted({ timeMs: Date.parse('2024-01-15T11:00:00Z') }),
    ]);
    const counts = plan.counters.filter((c) => c.kind === 'count');
    const find = (bucket: string, source: string) => counts.find((c) => c.bucket === bucket && c.source === source);
    expect(find('2024-01-15T10', 'ios')).toMatchObject({ count: 2, sumMicros: 15_000_000n, pk: 'C#p#E#purchase#H#2024-01#0' });
    expect(find('2024-01-15T10', 'web')).toMatchObject({ count: 1, sumMicros: 10_000_000n });
    expect(find('2024-01-15T11', 'ios')).toMatchObject({ count: 1, sumMicros: 10_000_000n });
    expect(find('2024-01-15', 'ios')).toMatchObject({ count: 3, sumMicros: 25_000_000n, pk: 'C#p#E#purchase#D#2024#0' });
    expect(counts).toHaveLength(5);
  });

  it('proposes one unique-device marker per device, day and event, and per device and day', () => {
    const plan = planCounters([counted(), counted(), counted({ event: 'view' }), counted({ deviceId: 'd2' })]);
    expect(plan.markers).toHaveLength(5);
    const owners = plan.markers.map((m) => m.ownerEventId);
    expect(new Set(owners).size).toBe(3);
    for (const marker of plan.markers) expect(marker.counter.kind).toBe('unique');
  });

  it('keys every counter by its event (the all-events unique devices apart), all in the transaction’s shard', () => {
    const plan = planCounters([counted(), counted({ event: 'view', deviceId: 'd2' })], 5);
    const pks = new Set(plan.counters.map((c) => c.pk));
    expect([...pks].sort()).toEqual([
      'C#p#A#2024#5',
      'C#p#E#purchase#D#2024#5',
      'C#p#E#purchase#H#2024-01#5',
      'C#p#E#view#D#2024#5',
      'C#p#E#view#H#2024-01#5',
    ]);
    expect(plan.counters.filter((c) => c.pk === 'C#p#A#2024#5').map((c) => [c.kind, c.sk])).toEqual([['unique', '2024-01-15#U']]);
    for (const c of plan.counters.filter((c) => c.event !== undefined)) expect(c.pk).toContain(`#E#${c.event}#`);
  });

  it('names each event of the batch once per project and month', () => {
    const plan = planCounters([counted(), counted(), counted({ event: 'view' }), counted({ timeMs: Date.parse('2024-02-01T00:00:00Z') })]);
    expect(plan.names.map((n) => [n.pk, n.sk, n.event])).toEqual([
      ['C#p#N#2024-01', 'purchase', 'purchase'],
      ['C#p#N#2024-01', 'view', 'view'],
      ['C#p#N#2024-02', 'purchase', 'purchase'],
    ]);
  });

  it('counts events without source or value', () => {
    const plan = planCounters([counted({ source: undefined, valueMicros: undefined })]);
    expect(plan.counters.find((c) => c.kind === 'count')).toMatchObject({ source: '', count: 1, sumMicros: 0n });
  });

  it('keeps sums of huge and tiny values exact, beyond what a double carries', () => {
    const plan = planCounters([
      counted({ valueMicros: 9_000_000_000_000_000_000_000n }),
      counted({ valueMicros: 9_000_000_000_000_000_000_000n }),
      counted({ valueMicros: 500_000n }),
    ]);
    expect(plan.counters.find((c) => c.kind === 'count')!.sumMicros).toBe(18_000_000_000_000_000_500_000n);
  });

  it('keeps event names containing separators apart', () => {
    const plan = planCounters([counted({ event: 'a#S#b', source: '' }), counted({ event: 'a', source: 'b#S#' })]);
    expect(new Set(plan.counters.map((c) => `${c.pk}|${c.sk}`)).size).toBe(plan.counters.length);
    expect(plan.counters.filter((c) => c.kind === 'count')).toHaveLength(4);
  });
});

describe('groupForTransactions', () => {
  it('splits a batch in order so that no group moves more counters than fit', () => {
    const events = Array.from({ length: 200 }, (_, i) => counted({ event: `e${i % 60}`, deviceId: `d${i}` }));
    const groups = groupForTransactions(events, counterIdsOf, 99);
    expect(groups.flat()).toEqual(events);
    for (const group of groups) expect(planCounters(group).counters.length).toBeLessThanOrEqual(99);
    expect(groups.length).toBeGreaterThan(1);
  });

  it('keeps a batch of few counters in one group', () => {
    const events = Array.from({ length: 500 }, () => counted());
    expect(groupForTransactions(events, counterIdsOf, 99)).toHaveLength(1);
  });
});

describe('counterShardFor', () => {
  it('spreads the successive transactions of one stream shard over every counter shard, evenly', () => {
    const perShard = new Array<number>(8).fill(0);
    for (let last = 0; last < 8000; last += 1) perShard[counterShardFor('shardId-00000001', String(1_000_000 + last * 97), 0, 8)]! += 1;
    expect(Math.min(...perShard)).toBeGreaterThan(800);
    expect(Math.max(...perShard)).toBeLessThan(1200);
  });
});

describe('compareSequenceNumbers', () => {
  it('compares long decimal strings numerically', () => {
    expect(compareSequenceNumbers('9', '10')).toBe(-1);
    expect(compareSequenceNumbers('000000000000000000021', '20')).toBe(1);
    expect(compareSequenceNumbers('4421584500000000017450439091', '4421584500000000017450439091')).toBe(0);
  });
});
