/** Property-based: whatever a client sends, normalization answers, and valid rows survive bad neighbours. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeRow } from '../../lambdas/core/normalize.js';
import { deviceStateKey, eventItemKey, eventListKey, sessionLockKey } from '../../lambdas/core/item-keys.js';
import { packMessages, parseMessageBody } from '../../lambdas/core/packing.js';
import { dayBucket } from '../../lambdas/core/timestamps.js';
import { Limits } from '../../resources/limits.js';
import { PartitionShards } from '../../resources/partitions.js';
import { parseIngestBody } from '../../lambdas/core/request-body.js';
import { TidemarkError } from '../../lambdas/core/errors.js';
import { normalizeContext, RECEIVED_AT } from '../helpers/factories.js';

const validRow = fc.record({
  event: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0),
  deviceId: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0),
  value: fc.option(
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }).filter((v) => v === 0 || Math.abs(v) > 1e-100),
    { nil: undefined },
  ),
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
    const aliasKeys = [
      'event',
      'name',
      'type',
      'deviceId',
      'anonymousId',
      'value',
      'amount',
      'timestamp',
      'ts',
      'payload',
      'properties',
      'context',
      'sentAt',
      '__proto__',
      'constructor',
    ];
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
    const mixed = fc.array(
      fc.oneof(
        validRow.map((r) => ({ valid: true, r })),
        fc.jsonValue().map((r) => ({ valid: false, r })),
      ),
      { maxLength: 50 },
    );
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

describe('every accepted row is storable, summable and queueable', () => {
  /** Strings that break naive code: separators, escapes, SQS-refused and non-ASCII characters, lengths around the byte limit. */
  const hostileText = fc.oneof(
    {
      weight: 12,
      arbitrary: fc.string({
        unit: fc.constantFrom('#', '%', '~', '"', '\\', '\u0001', '\uffff', '\ufffe', 'ü', '€', '😀', 'a'),
        minLength: 1,
        maxLength: 40,
      }),
    },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('\ud800', '\udfff', 'a'), minLength: 1, maxLength: 4 }) },
    { weight: 1, arbitrary: fc.integer({ min: 336, max: 346 }).map((n) => '€'.repeat(n)) },
    { weight: 1, arbitrary: fc.integer({ min: 1018, max: 1030 }).map((n) => 'x'.repeat(n)) },
  );
  const hostileNumber = fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: -2e12, max: 2e12 }) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        1e16,
        -1e16,
        9e15,
        1e12,
        -1e12,
        1e12 + 0.5,
        1e-40,
        -1e-40,
        5e-7,
        0.1 + 0.2,
        Number.MAX_VALUE,
        Number.MIN_VALUE,
        -0,
      ),
    },
    { weight: 1, arbitrary: fc.double().map(String) },
  );
  const hostileRow = fc.record(
    {
      event: hostileText,
      name: hostileText,
      deviceId: hostileText,
      source: hostileText,
      userId: hostileText,
      sessionId: hostileText,
      eventId: hostileText,
      id: hostileText,
      value: hostileNumber,
      price: hostileNumber,
      quantity: hostileNumber,
      timestamp: fc.constant(new Date(RECEIVED_AT - 60_000).toISOString()),
      properties: fc.dictionary(hostileText, fc.oneof(hostileText, hostileNumber)),
    },
    { requiredKeys: [] },
  );
  const keyBytes = (key: Record<string, string>) => Object.values(key).map((part) => Buffer.byteLength(part, 'utf8'));

  it('rejects with a reason or accepts a row whose value, keys and queue body fit every limit', () => {
    let accepted = 0;
    fc.assert(
      fc.property(hostileRow, (row) => {
        const result = normalizeRow(row, 0, normalizeContext());
        if (!result.ok) {
          expect(result.rejection).toMatchObject({ reason: expect.stringMatching(/^(validation|too_large)$/), retryable: false });
          return;
        }
        accepted++;
        const event = result.event;
        if (event.value !== undefined) {
          expect(Math.abs(event.value)).toBeLessThanOrEqual(Limits.maxAbsValue);
          expect(Number(event.value.toFixed(Limits.valueFractionDigits))).toBe(event.value);
        }
        for (const field of ['event', 'deviceId', 'source', 'userId', 'sessionId', 'eventId'] as const) {
          const text = event[field];
          if (text !== undefined) expect(Buffer.byteLength(JSON.stringify(text)) - 2).toBeLessThanOrEqual(Limits.maxKeyFieldBytes);
        }
        const project = 'p'.repeat(63);
        for (const bytes of [
          ...keyBytes(eventItemKey(project, event.eventId)),
          ...keyBytes(deviceStateKey(project, event.deviceId)),
          ...keyBytes(sessionLockKey(project, event.deviceId, event.sessionId ?? 's')),
        ]) {
          expect(bytes).toBeLessThanOrEqual(1024);
        }
        expect(
          keyBytes(
            eventListKey(project, dayBucket(Date.parse(event.timestamp)), event.timestamp, event.eventId, PartitionShards.eventList),
          )[1],
        ).toBeLessThanOrEqual(1024);
        // Aliases that lost stay in properties.
        if ('price' in row && 'quantity' in row && event.value !== undefined) expect(event.properties).toHaveProperty('price');
        const [message] = packMessages(project, [{ index: 0, event, json: result.json, bytes: result.bytes }], 1024 * 1024);
        expect(message!.body).not.toMatch(/[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u);
        expect(parseMessageBody(message!.body).events[0]).toEqual(JSON.parse(JSON.stringify(event)));
      }),
      { numRuns: 3000 },
    );
    // The property says something only if hostile rows do get through.
    expect(accepted).toBeGreaterThan(300);
  });
});

describe('parseIngestBody under arbitrary bytes', () => {
  it('either finds rows or throws a typed 4xx error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.uint8Array().map((a) => Buffer.from(a).toString('latin1')),
        ),
        (text) => {
          try {
            parseIngestBody(Buffer.from(text), 'batch', { maxRequestBytes: 1e7, maxEventsPerRequest: 2000 });
          } catch (error) {
            expect(error).toBeInstanceOf(TidemarkError);
            expect((error as TidemarkError).status).toBeLessThan(500);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
