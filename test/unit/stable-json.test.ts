/** The hand-written serializers on the ingest hot path must agree with the built-ins they replace. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonString, plainJson, stableJson } from '../../lambdas/core/stable-json.js';
import { toIso } from '../../lambdas/core/timestamps.js';

/** The same value with every object's keys in reverse insertion order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) {
    Object.defineProperty(out, key, {
      value: reversedKeys((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

describe('stableJson', () => {
  it('reads back as the value it wrote, for any JSON value with any strings', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.string({ unit: 'binary' }), (value, text) => {
        expect(JSON.parse(stableJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
        expect(jsonString(text)).toBe(JSON.stringify(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('writes the same text whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expect(stableJson(reversedKeys(value))).toBe(stableJson(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('writes what JSON.stringify writes for lone surrogates, control characters, -0 and non-finite numbers', () => {
    const awkward = { a: '\ud800', b: '\u0000\n"\\', c: -0, d: Number.NaN, e: Infinity, f: [undefined], g: undefined };
    expect(stableJson(awkward)).toBe(JSON.stringify(awkward));
  });

  it('keeps an own __proto__ key as data', () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as unknown;
    expect(stableJson(value)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });
});

describe('plainJson', () => {
  it('writes exactly what JSON.stringify writes, key order included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expect(plainJson(value)).toBe(JSON.stringify(value));
      }),
      { numRuns: 1000 },
    );
    const awkward = JSON.parse('{"b":"\\ud800","__proto__":{"x":1},"a":[1,"\\u0007",null]}') as unknown;
    expect(plainJson(awkward)).toBe(JSON.stringify(awkward));
  });
});

describe('toIso', () => {
  it('formats exactly as Date.prototype.toISOString over the whole range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(toIso(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
    for (const ms of [0, 951_782_400_000, 951_868_799_999, 253_402_300_799_999, 253_402_300_800_000])
      expect(toIso(ms)).toBe(new Date(ms).toISOString());
  });
});
