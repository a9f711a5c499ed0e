/** Property-based: whatever a client sends, normalization answers, and valid rows survive bad neighbours. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeRow } from '../../lambdas/core/normalize.js';
import { parseIngestBody } from '../../lambdas/core/request-body.js';
import { TidemarkError } from '../../lambdas/core/errors.js';
import { normalizeContext, RECEIVED_AT } from '../helpers/factories.js';

const validRow = fc.record({
  event: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0),
  deviceId: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0),
  value: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }).filter((v) => v === 0 || Math.abs(v) > 1e-100), { nil: undefined }),
  timestamp: fc.integer({ min: RECEIVED_AT - 4 * 86_400_000, max: RECEIVED_AT }).map((t) => new Date(t).toISOString()),
  properties: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })),
});

describe('normalizeRow under arbitrary input', () => {
  it('never throws and always answers accepted or a typed rejection', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), (row) => {
        const result = normalizeRow(row, 0, normalizeContext());
        if (!result.ok) expect(['validation', 'too_old', 'too_large', 'unsupported']).toContain(result.rejection.reason);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary JSON objects with alias keys', () => {
    const aliasKeys = ['event', 'name', 'type', 'deviceId', 'anonymousId', 'value', 'amount', 'timestamp', 'ts', 'payload', 'properties', 'context', 'sentAt', '__proto__', 'constructor'];
    const row = fc.dictionary(fc.constantFrom(...aliasKeys), fc.jsonValue({ maxDepth: 3 }));
    fc.assert(
      fc.property(row, (r) => {
        normalizeRow(JSON.parse(JSON.stringify(r)), 0, normalizeContext());
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every valid row mixed among invalid ones', () => {
    const mixed = fc.array(fc.oneof(validRow.map((r) => ({ valid: true, r })), fc.jsonValue().map((r) => ({ valid: false, r }))), { maxLength: 50 });
    fc.assert(
      fc.property(mixed, (rows) => {
        rows.forEach(({ valid, r }, i) => {
          const result = normalizeRow(r, i, normalizeContext());
          if (valid) expect(result.ok).toBe(true);
          // The JSON written by hand for packing is the event, byte-counted right.
          if (result.ok) {
            expect(JSON.parse(result.json)).toEqual(JSON.parse(JSON.stringify(result.event)));
            expect(result.bytes).toBe(Buffer.byteLength(result.json));
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseIngestBody under arbitrary bytes', () => {
  it('either finds rows or throws a typed 4xx error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v)), fc.uint8Array().map((a) => Buffer.from(a).toString('latin1'))), (text) => {
        try {
          parseIngestBody(Buffer.from(text), 'batch', { maxRequestBytes: 1e7, maxEventsPerRequest: 2000 });
        } catch (error) {
          expect(error).toBeInstanceOf(TidemarkError);
          expect((error as TidemarkError).status).toBeLessThan(500);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
