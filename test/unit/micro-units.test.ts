import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMicros, microsToNumber, toMicros } from '../../lambdas/core/micro-units.js';

describe('toMicros', () => {
  it('reads decimals, exponents and DynamoDB number text exactly', () => {
    expect(toMicros(12.5)).toBe(12_500_000n);
    expect(toMicros('-0.000001')).toBe(-1n);
    expect(toMicros('1E+12')).toBe(1_000_000_000_000_000_000n);
    expect(toMicros(9e15)).toBe(9_000_000_000_000_000_000_000n);
    expect(toMicros('123456789012345678901234567890.123456')).toBe(123456789012345678901234567890123456n);
  });

  it('rounds below a micro-unit half away from zero, and 1e-40 to zero', () => {
    expect(toMicros(1e-40)).toBe(0n);
    expect(toMicros('0.0000005')).toBe(1n);
    expect(toMicros('-0.0000005')).toBe(-1n);
    expect(toMicros('0.00000049')).toBe(0n);
  });

  it('refuses what is not a finite decimal', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '', '.', 'abc', '1e', '--1']) expect(toMicros(bad)).toBeUndefined();
  });
});

describe('formatMicros', () => {
  it('writes the shortest exact decimal', () => {
    expect(formatMicros(0n)).toBe('0');
    expect(formatMicros(1_234_500_000n)).toBe('1234.5');
    expect(formatMicros(-1n)).toBe('-0.000001');
    expect(formatMicros(18_000_000_000_000_000_500_000n)).toBe('18000000000000000.5');
  });

  it('round-trips every value within the numeric contract, and sums stay exact', () => {
    const micros = fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n });
    fc.assert(
      fc.property(fc.array(micros, { maxLength: 50 }), (values) => {
        for (const value of values) expect(toMicros(formatMicros(value))).toBe(value);
        const sum = values.reduce((a, b) => a + b, 0n);
        expect(toMicros(formatMicros(sum))).toBe(sum);
      }),
    );
  });

  it('gives a JSON number equal to the exact sum whenever a double holds it', () => {
    expect(microsToNumber(12_500_000n)).toBe(12.5);
    expect(microsToNumber(18_000_000_000_000_000_500_000n)).toBe(18000000000000000);
  });
});
