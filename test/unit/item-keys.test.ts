/** The one module of item key layouts: user parts can neither collide, nor carry the separator, nor pass the byte bound. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allEventsCounterPartition,
  deviceStateKey,
  eventCounterPartition,
  eventItemKey,
  eventNamesPartition,
  isValidProjectId,
  keyPart,
  MAX_KEY_PART_BYTES,
  SEPARATOR,
} from '../../lambdas/core/item-keys.js';

/** Strings that stress the encoding: separators, escapes, the hash marker, non-ASCII, sizes around the bound. */
const hostileText = fc.oneof(
  fc.string({ unit: fc.constantFrom('#', '%', '~', '2', '3', 'a', 'E', 'ü', '€', '😀', '\u0000', '\uffff'), maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc
    .integer({ min: MAX_KEY_PART_BYTES - 4, max: MAX_KEY_PART_BYTES + 4 })
    .chain((n) => fc.constantFrom('x'.repeat(n), '%'.repeat(Math.ceil(n / 3)), 'é'.repeat(Math.ceil(n / 2)))),
);

describe('keyPart', () => {
  it('maps distinct inputs to distinct parts, each without the separator and within the byte bound', () => {
    fc.assert(
      fc.property(hostileText, hostileText, (a, b) => {
        const [pa, pb] = [keyPart(a), keyPart(b)];
        for (const part of [pa, pb]) {
          expect(part).not.toContain(SEPARATOR);
          expect(Buffer.byteLength(part, 'utf8')).toBeLessThanOrEqual(MAX_KEY_PART_BYTES);
        }
        expect(pa === pb).toBe(a === b);
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps one project’s user parts out of every other project’s keys', () => {
    fc.assert(
      fc.property(hostileText, hostileText, (a, b) => {
        // demo's `a#b` must never be project `demo#a`'s `b`, whatever the parts: one separator after the project.
        expect(eventItemKey('demo', `${a}#${b}`).pk).not.toBe(`demo#${a}#${keyPart(b)}`);
        expect(deviceStateKey('demo', `${a}#${b}`).pk.split(SEPARATOR)).toHaveLength(3);
      }),
    );
  });
});

describe('counter partitions', () => {
  it('are one event’s own, whatever the names: no event, period or shard shares another’s partition, nor the all-events or names partitions', () => {
    fc.assert(
      fc.property(hostileText, hostileText, fc.nat({ max: 3 }), fc.nat({ max: 3 }), (a, b, shardA, shardB) => {
        for (const granularity of ['hour', 'day'] as const) {
          const pa = eventCounterPartition('demo', a, granularity, '2024-01-15T10', shardA);
          expect(pa === eventCounterPartition('demo', b, granularity, '2024-01-15T10', shardB)).toBe(a === b && shardA === shardB);
          expect(pa).not.toBe(eventCounterPartition('demo', a, granularity, '2025-01-15T10', shardA));
          expect(pa).not.toBe(allEventsCounterPartition('demo', '2024-01-15', shardA));
          expect(pa).not.toBe(eventNamesPartition('demo', '2024-01'));
        }
        expect(eventCounterPartition('demo', a, 'hour', '2024-01-15T10', shardA)).not.toBe(
          eventCounterPartition('demo', a, 'day', '2024-01-15', shardA),
        );
      }),
    );
  });
});

describe('isValidProjectId', () => {
  it('takes lowercase ids and refuses separators, encodings and empty ids', () => {
    for (const id of ['demo', 'shop-1', 'a_b', '0x']) expect(isValidProjectId(id)).toBe(true);
    for (const id of ['', 'demo#b', 'Demo', 'a b', 'a%23b', '-a', 'x'.repeat(64), 'ü']) expect(isValidProjectId(id)).toBe(false);
  });
});
