/** Per-project caps: the pure decisions (which rows a refused name takes down, shares of a sharded count), and the ingest use case held to them. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyCardinality,
  MAX_NAME_COUNTER_SHARDS,
  NAMES_PER_COUNTER_SHARD,
  nameCounterShards,
  namesInUse,
  shardShare,
  slotsGranted,
} from '../../lambdas/core/project-caps.js';
import { parseQuota } from '../../lambdas/core/quota.js';
import { daysOfRange } from '../../lambdas/core/timestamps.js';
import { ingestRows, type IngestRequest } from '../../lambdas/ingest/ingest.js';
import { ProjectCapDefaults, ProjectQuotaDefaults } from '../../resources/index.js';
import { RECEIVED_AT } from '../helpers/factories.js';
import { memoryIngestPorts } from '../helpers/fakes.js';

const row = (index: number, event: string, source?: string) => ({ index, event: { event, ...(source === undefined ? {} : { source }) } });

describe('cardinality of names', () => {
  it('asks about each distinct event name and source once; a row without a source uses none', () => {
    const names = namesInUse([{ event: 'a', source: 'ios' }, { event: 'b' }, { event: 'a', source: 'ios' }, { event: 'a', source: 'web' }]);
    expect(names).toEqual({ event: ['a', 'b'], source: ['ios', 'web'] });
  });

  it('rejects the rows of a refused name with a reason naming the cap and how to raise it, and keeps the others', () => {
    const rows = [
      row(0, 'known', 'ios'),
      row(1, 'new-name', 'ios'),
      row(2, 'known', 'new-source'),
      row(3, 'new-name', 'new-source'),
      row(4, 'known'),
    ];
    const refused = { event: new Set(['new-name']), source: new Set(['new-source']) };
    const { admitted, rejected } = applyCardinality(rows, refused, { eventNames: 3, sources: 2 }, 'shop');
    expect(admitted.map((r) => r.index)).toEqual([0, 4]);
    expect(rejected.map((r) => [r.index, r.reason, r.retryable])).toEqual([
      [1, 'cardinality', false],
      [2, 'cardinality', false],
      [3, 'cardinality', false],
    ]);
    expect(rejected[0]!.error).toMatch(
      /event name 'new-name' is new .* eventNames cap of 3 .*`tidemark limits set --project shop --event-names N`/,
    );
    expect(rejected[1]!.error).toMatch(/source 'new-source' is new .* sources cap of 2 .*--sources N/);
    // Both names refused: the event name is the one named.
    expect(rejected[2]!.error).toMatch(/^event name 'new-name'/);
  });
});

describe('sharded counts', () => {
  it('share a cap out exactly: the shares add up to the cap and differ by at most one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 64 }), (cap, shards) => {
        const shares = Array.from({ length: shards }, (_, shard) => shardShare(cap, shards, shard));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(cap);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('keep a small name cap in one counter (exact), and spread a large one over a bounded number of counters', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (cap) => {
        const shards = nameCounterShards(cap);
        expect(shards).toBeGreaterThanOrEqual(1);
        expect(shards).toBeLessThanOrEqual(MAX_NAME_COUNTER_SHARDS);
        if (cap <= NAMES_PER_COUNTER_SHARD) expect(shards).toBe(1);
        if (shards < MAX_NAME_COUNTER_SHARDS) expect(shards * NAMES_PER_COUNTER_SHARD).toBeGreaterThanOrEqual(cap);
      }),
    );
  });

  it('grant slots of a shard exactly once, whatever the order of concurrent ADDs', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 30 }), fc.integer({ min: 0, max: 400 }), (asks, share) => {
        // Each ADD sees the total after its own: the order DynamoDB applied them in.
        let total = 0;
        const granted = asks.map((asked) => slotsGranted((total += asked), asked, share));
        expect(granted.reduce((a, b) => a + b, 0)).toBe(Math.min(share, total));
        for (const [i, g] of granted.entries()) expect(g).toBeLessThanOrEqual(asks[i]!);
      }),
    );
  });

  it('name every UTC day a range touches, the exclusive end excluded', () => {
    expect(daysOfRange(Date.parse('2024-01-30T23:00:00Z'), Date.parse('2024-02-02T00:00:00Z'))).toEqual([
      '2024-01-30',
      '2024-01-31',
      '2024-02-01',
    ]);
    expect(daysOfRange(Date.parse('2024-01-30T10:00:00Z'), Date.parse('2024-01-30T11:00:00Z'))).toEqual(['2024-01-30']);
  });
});

describe('caps as limits', () => {
  it('are set like the quotas: positive integers, the others keeping their value', () => {
    const base = { ...ProjectQuotaDefaults, ...ProjectCapDefaults };
    expect(parseQuota({ eventNames: '20', rejectionsKeptPerDay: 5 }, base)).toEqual({ ...base, eventNames: 20, rejectionsKeptPerDay: 5 });
    expect(() => parseQuota({ sources: '0' }, base)).toThrow(/sources must be a positive integer/);
    // A quota alone (no caps in its base) takes no cap.
    expect(parseQuota({ eventNames: 3 }, ProjectQuotaDefaults)).toEqual(ProjectQuotaDefaults);
  });
});

describe('ingestRows held to the caps', () => {
  const caps = { eventNames: 2, sources: 1, rejectionsKeptPerDay: 3 };
  const request = (projectId: string, rows: readonly unknown[], overrides: Partial<IngestRequest> = {}): IngestRequest => ({
    projectId,
    caps,
    requestId: 'r',
    mode: 'batch',
    rows,
    receivedAt: RECEIVED_AT,
    validateOnly: false,
    ...overrides,
  });
  const event = (name: string, source?: string) => ({ event: name, deviceId: 'd', ...(source === undefined ? {} : { source }) });

  it('rejects rows with a new name past the cap per row, while names in use land and another project is unaffected', async () => {
    const { ports, queue } = memoryIngestPorts();
    const first = await ingestRows(request('full', [event('a', 'ios'), event('b')]), ports);
    expect(first).toMatchObject({ accepted: 2, rejected: [] });

    const second = await ingestRows(request('full', [event('c'), event('a'), event('b', 'web'), event('b', 'ios')]), ports);
    expect(second.accepted).toBe(2);
    expect(second.rejected.map((r) => [r.index, r.reason])).toEqual([
      [0, 'cardinality'],
      [2, 'cardinality'],
    ]);
    const queued = queue.sent.flatMap((m) => (JSON.parse(m.body) as { events: { event: string }[] }).events.map((e) => e.event));
    expect(queued.sort()).toEqual(['a', 'a', 'b', 'b']);

    const other = await ingestRows(request('other', [event('c', 'web'), event('d')]), ports);
    expect(other).toMatchObject({ accepted: 2, rejected: [] });
  });

  it('keeps rejected rows in the audit store up to the daily cap and counts the rest, while the 202 names every one and the lake keeps every one', async () => {
    const { ports: memory, rejections, budget } = memoryIngestPorts();
    const lake: number[] = [];
    const ports = {
      ...memory,
      keepRejectedRows: async (_projectId: string, rows: readonly { index?: number }[]) =>
        void lake.push(...rows.map((r) => r.index ?? -1)),
    };
    const garbage = Array.from({ length: 5 }, (_, i) => ({ deviceId: `d${i}` }));
    const result = await ingestRows(request('p', garbage), ports);
    expect(lake).toEqual([0, 1, 2, 3, 4]);
    expect(result.rejected.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(rejections.map((r) => 'index' in r && r.index)).toEqual([0, 1, 2]);
    const again = await ingestRows(request('p', garbage.slice(0, 2)), ports);
    expect(again.rejected).toHaveLength(2);
    expect(rejections).toHaveLength(3);
    expect([...budget.values()]).toEqual([{ kept: 3, notKept: 4 }]);
  });

  it('does not register names for a validate-only request', async () => {
    const { ports } = memoryIngestPorts();
    await ingestRows(request('p', [event('x'), event('y')], { validateOnly: true }), ports);
    const sent = await ingestRows(request('p', [event('a'), event('b')]), ports);
    expect(sent).toMatchObject({ accepted: 2, rejected: [] });
  });
});
