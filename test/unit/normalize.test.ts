import { describe, expect, it } from 'vitest';
import { FieldAliases, normalizeRow, rowForAudit } from '../../lambdas/core/normalize.js';
import { normalizeContext, RECEIVED_AT } from '../helpers/factories.js';

const ok = (row: unknown, ctx = normalizeContext()) => {
  const result = normalizeRow(row, 0, ctx);
  if (!result.ok) throw new Error(`rejected: ${result.rejection.error}`);
  return result.event;
};
const rejected = (row: unknown, ctx = normalizeContext()) => {
  const result = normalizeRow(row, 3, ctx);
  if (result.ok) throw new Error('accepted');
  return result.rejection;
};
const base = { event: 'e', deviceId: 'd', timestamp: '2024-01-20T11:00:00Z' };

describe('seed payloads', () => {
  const clientA = { source: 'client_A', payload: { metric: 'purchase', amount: '1200', timestamp: '2024/01/01' } };
  const clientB = { client_id: 'client_B', event_type: 'click', value: 500, date: '2024-01-15T10:30:00Z' };

  it('accepts client_A on /v1/import with nested payload, coerced amount and slash date', () => {
    const event = ok(clientA, normalizeContext({ mode: 'import' }));
    expect(event).toMatchObject({
      event: 'purchase',
      source: 'client_A',
      deviceId: 'client_A',
      value: 1200,
      timestamp: '2024-01-01T00:00:00.000Z',
      originalTimestamp: '2024-01-01T00:00:00.000Z',
      properties: {},
    });
  });

  it('rejects client_A on /v1/batch as too_old, naming the limit', () => {
    const rejection = rejected(clientA);
    expect(rejection).toMatchObject({ index: 3, reason: 'too_old', retryable: false });
    expect(rejection.error).toContain('maxEventAgeDays');
  });

  it('accepts client_B with its aliases', () => {
    const event = ok(clientB, normalizeContext({ receivedAt: Date.parse('2024-01-16T00:00:00Z') }));
    expect(event).toMatchObject({
      event: 'click',
      source: 'client_B',
      deviceId: 'client_B',
      value: 500,
      timestamp: '2024-01-15T10:30:00.000Z',
    });
  });
});

describe('aliases', () => {
  const values: Record<string, [unknown, unknown]> = {
    event: ['signup', 'signup'],
    deviceId: ['dev-9', 'dev-9'],
    userId: ['user-1', 'user-1'],
    source: ['android', 'android'],
    value: ['7.5', 7.5],
    eventId: ['evt-1', 'evt-1'],
    sessionId: ['sess-1', 'sess-1'],
  };
  for (const [field, [sent, expected]] of Object.entries(values)) {
    for (const alias of FieldAliases[field as keyof typeof FieldAliases]) {
      it(`reads ${field} from '${alias}', at the top level and inside payload`, () => {
        const row = { event: 'e', deviceId: 'd' } as Record<string, unknown>;
        delete row[field];
        const withAlias = alias.includes('.') ? { context: { device: { id: sent } } } : { [alias]: sent };
        expect((ok({ ...row, ...withAlias }) as Record<string, unknown>)[field]).toEqual(expected);
        if (!alias.includes('.')) expect((ok({ ...row, payload: withAlias }) as Record<string, unknown>)[field]).toEqual(expected);
      });
    }
  }

  for (const alias of FieldAliases.timestamp) {
    it(`reads the timestamp from '${alias}'`, () => {
      expect(ok({ event: 'e', deviceId: 'd', [alias]: '2024-01-19T08:00:00Z' }).timestamp).toBe('2024-01-19T08:00:00.000Z');
    });
  }

  for (const alias of FieldAliases.properties) {
    it(`reads properties from '${alias}'`, () => {
      expect(ok({ ...base, [alias]: { plan: 'pro' } }).properties).toEqual({ plan: 'pro' });
    });
  }

  it('falls back from deviceId to userId, then to source', () => {
    expect(ok({ event: 'e', userId: 'u1', source: 's' }).deviceId).toBe('u1');
    expect(ok({ event: 'e', source: 's' }).deviceId).toBe('s');
  });

  it('keeps unknown keys, the rest of payload and aliases that were not chosen as properties', () => {
    const event = ok({ ...base, color: 'red', payload: { size: 3, metric: 'not-chosen-because-event-is-set' } });
    expect(event.event).toBe('e');
    expect(event.properties).toEqual({ color: 'red', size: 3, metric: 'not-chosen-because-event-is-set' });
  });

  it('keeps an alias that lost to a preferred one in properties (issue 14, item 8)', () => {
    const purchase = ok({ ...base, price: 19.99, quantity: 3 });
    expect(purchase.value).toBe(3);
    expect(purchase.properties).toEqual({ price: 19.99 });
    const named = ok({ event: 'signup', name: 'Ada', deviceId: 'd' });
    expect(named.event).toBe('signup');
    expect(named.properties).toEqual({ name: 'Ada' });
  });

  it('never takes a generic id or uuid for the event id: they stay in properties', () => {
    const a = ok({ ...base, id: 'sku-1', uuid: 'u-1', value: 5 });
    const b = ok({ ...base, id: 'sku-1', uuid: 'u-1', value: 7 });
    expect(a.eventId).not.toBe('sku-1');
    expect(a.eventId).not.toBe(b.eventId);
    expect(a.properties).toEqual({ id: 'sku-1', uuid: 'u-1' });
  });

  it('uses type as the event name when it is not a Segment message type', () => {
    expect(ok({ type: 'level_up', deviceId: 'd' }).event).toBe('level_up');
  });
});

describe('Segment and RudderStack messages', () => {
  const message = {
    anonymousId: 'anon-1',
    messageId: 'm-1',
    timestamp: '2024-01-20T10:00:00Z',
    context: { ip: '203.0.113.9', library: { name: 'analytics.js', version: '1' } },
  };

  it('maps track with value from properties and drops the IP', () => {
    const event = ok({ ...message, type: 'track', event: 'Order Completed', userId: 'u1', properties: { revenue: '19.99', sku: 'a' } });
    expect(event).toMatchObject({
      event: 'Order Completed',
      deviceId: 'anon-1',
      userId: 'u1',
      eventId: 'm-1',
      value: 19.99,
      properties: { revenue: '19.99', sku: 'a' },
    });
    expect(event.context).toEqual({ library: { name: 'analytics.js', version: '1' } });
  });

  it('takes the source from the library that sent the message when none is given', () => {
    expect(ok({ ...message, type: 'track', event: 'e' }).source).toBe('analytics.js');
    expect(ok({ ...message, type: 'track', event: 'e', context: { library: { name: 'analytics.js' } }, source: 'web' }).source).toBe('web');
    expect(ok({ event: 'e', deviceId: 'd', context: { library: { name: '@tidemark/sdk', version: '0.1.0' } } }).source).toBe(
      '@tidemark/sdk',
    );
    expect(ok({ ...message, type: 'track', event: 'e', context: { library: { name: 'é'.repeat(600) } } }).source).toBeUndefined();
    expect(ok({ ...message, type: 'track', event: 'e', context: { library: { name: 7 } } }).source).toBeUndefined();
  });

  it('maps screen, page and identify to events of that name', () => {
    expect(ok({ ...message, type: 'screen', name: 'Home' })).toMatchObject({ event: 'screen', properties: { name: 'Home' } });
    expect(ok({ ...message, type: 'page', name: 'Pricing', category: 'Docs' })).toMatchObject({
      event: 'page',
      properties: { name: 'Pricing', category: 'Docs' },
    });
    expect(ok({ ...message, type: 'identify', traits: { plan: 'pro' } })).toMatchObject({
      event: 'identify',
      properties: { traits: { plan: 'pro' } },
    });
  });

  it('rejects alias and group as unsupported', () => {
    expect(rejected({ ...message, type: 'alias', previousId: 'x' }).reason).toBe('unsupported');
    expect(rejected({ ...message, type: 'group', groupId: 'g' }).reason).toBe('unsupported');
  });

  it('keeps a rejected row for audit as sent, less context.ip', () => {
    const row = { ...message, type: 'alias', previousId: 'x' };
    expect(rowForAudit(row)).toEqual({ ...row, context: { library: message.context.library } });
    expect(row.context.ip).toBe('203.0.113.9');
    for (const other of [null, 'text', { event: 'e' }, { event: 'e', context: 'x' }]) expect(rowForAudit(other)).toBe(other);
  });

  it('uses context.device.id when there is no anonymousId', () => {
    expect(ok({ type: 'track', event: 'x', context: { device: { id: 'hw-1' } } }).deviceId).toBe('hw-1');
  });
});

describe('validation', () => {
  it.each([
    [null, 'row must be a JSON object'],
    [[1, 2], 'row must be a JSON object'],
    ['text', 'row must be a JSON object'],
    [{ deviceId: 'd' }, 'event'],
    [{ event: 'e' }, 'deviceId'],
    [{ event: '', deviceId: 'd' }, 'event'],
    [{ event: 'e', deviceId: 'd', value: 'abc' }, 'value'],
    [{ event: 'e', deviceId: 'd', value: true }, 'value'],
    [{ event: 'e', deviceId: 'd', properties: 'x' }, 'properties'],
    [{ event: { nested: 1 }, deviceId: 'd' }, 'event'],
    [{ event: 'e', deviceId: 'd', timestamp: 'yesterday' }, 'timestamp'],
    [{ event: 'e'.repeat(1025), deviceId: 'd' }, 'event'],
  ])('rejects %j with a validation error naming the field', (row, field) => {
    const rejection = rejected(row);
    expect(rejection.reason).toBe('validation');
    expect(rejection.error).toContain(field);
    expect(rejection.retryable).toBe(false);
  });

  it("refuses the synthetic session start's name, so a client's is never counted with Tidemark's", () => {
    expect(rejected({ event: ' $session_start ', deviceId: 'd' })).toMatchObject({
      reason: 'validation',
      error: expect.stringContaining('reserved'),
    });
    expect(ok({ event: 'session_start', deviceId: 'd' }).event).toBe('session_start');
  });

  it('rejects a row over the per-event limit as too_large', () => {
    const rejection = rejected({ ...base, blob: 'x'.repeat(70 * 1024) });
    expect(rejection.reason).toBe('too_large');
    expect(rejection.error).toContain('maxEventBytes');
  });

  it('coerces numeric strings and numbers used as names', () => {
    expect(ok({ event: 404, deviceId: 17, value: ' 3e2 ' })).toMatchObject({ event: '404', deviceId: '17', value: 300 });
  });

  it('never lets a __proto__ key reach an object prototype', () => {
    const row = JSON.parse('{"event":"e","deviceId":"d","__proto__":{"polluted":1},"properties":{"__proto__":{"polluted":2}}}');
    const event = ok(row);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(event.properties)).toBe(Object.prototype);
  });
});

describe('time', () => {
  it('uses the receive time when no timestamp is sent', () => {
    expect(ok({ event: 'e', deviceId: 'd' }).timestamp).toBe(new Date(RECEIVED_AT).toISOString());
  });

  it('corrects clock skew from sentAt beyond 60 s and keeps the original', () => {
    // The device clock is 2 hours behind: it says it sent at 10:00 what arrived at 12:00.
    const ctx = normalizeContext({ sentAt: Date.parse('2024-01-20T10:00:00Z') });
    const event = ok({ ...base, timestamp: '2024-01-20T09:30:00Z' }, ctx);
    expect(event.timestamp).toBe('2024-01-20T11:30:00.000Z');
    expect(event.originalTimestamp).toBe('2024-01-20T09:30:00.000Z');
  });

  it('leaves skew of 60 s or less alone', () => {
    const ctx = normalizeContext({ sentAt: RECEIVED_AT - 30_000 });
    expect(ok(base, ctx).timestamp).toBe('2024-01-20T11:00:00.000Z');
  });

  it('prefers a row-level sentAt over the batch sentAt', () => {
    const ctx = normalizeContext({ sentAt: RECEIVED_AT });
    const event = ok({ ...base, sentAt: '2024-01-20T11:00:00Z' }, ctx);
    expect(event.timestamp).toBe('2024-01-20T12:00:00.000Z');
  });

  it('clamps timestamps over 10 minutes in the future to receive time', () => {
    const result = normalizeRow({ ...base, timestamp: '2024-01-21T12:00:00Z' }, 0, normalizeContext());
    expect(result.ok && result.event.timestamp).toBe(new Date(RECEIVED_AT).toISOString());
    expect(result.ok && result.clamped).toBe(true);
    expect(ok({ ...base, timestamp: '2024-01-20T12:05:00Z' }).timestamp).toBe('2024-01-20T12:05:00.000Z');
  });

  it('applies the age floor to batch and track but not import', () => {
    const old = { ...base, timestamp: '2024-01-10T00:00:00Z' };
    expect(rejected(old, normalizeContext({ mode: 'track' })).reason).toBe('too_old');
    expect(ok(old, normalizeContext({ mode: 'import' })).timestamp).toBe('2024-01-10T00:00:00.000Z');
    expect(ok(old, normalizeContext({ maxEventAgeDays: 30 })).timestamp).toBe('2024-01-10T00:00:00.000Z');
  });

  it("reads a leap second as the next day's first instant, in the stored original time as well", () => {
    const event = ok({ ...base, timestamp: '2016-12-31T23:59:60.000Z' }, normalizeContext({ mode: 'import' }));
    expect(event.timestamp).toBe('2017-01-01T00:00:00.000Z');
    expect(event.originalTimestamp).toBe('2017-01-01T00:00:00.000Z');
  });

  it('refuses an import row that its skew correction would move before 1970, and keeps the too_old reason elsewhere', () => {
    const farAheadSentAt = Date.parse('9999-01-01T00:00:00Z');
    const row = { ...base, timestamp: '1971-01-01T00:00:00Z' };
    const rejection = rejected(row, normalizeContext({ mode: 'import', sentAt: farAheadSentAt }));
    expect(rejection).toMatchObject({ reason: 'validation', retryable: false });
    expect(rejection.error).toContain('before 1970');
    // A declared receive time of 1970 with today's sentAt: the same, through `receivedAt`.
    expect(rejected(base, normalizeContext({ mode: 'import', receivedAt: 0, sentAt: RECEIVED_AT })).reason).toBe('validation');
    expect(rejected(row, normalizeContext({ sentAt: farAheadSentAt })).reason).toBe('too_old');
    // The earliest time that stays: exactly the epoch.
    expect(ok({ ...base, timestamp: '1970-01-01T00:00:00.000Z' }, normalizeContext({ mode: 'import' })).timestamp).toBe(
      '1970-01-01T00:00:00.000Z',
    );
  });
});

describe('event identity', () => {
  it('keeps a client event id', () => {
    expect(ok({ ...base, messageId: 'abc' }).eventId).toBe('abc');
  });

  it('derives the same id for a resend with a new sentAt', () => {
    const first = ok(base, normalizeContext({ sentAt: RECEIVED_AT - 3_600_000 }));
    const resend = ok(base, normalizeContext({ sentAt: RECEIVED_AT, receivedAt: RECEIVED_AT + 600_000 }));
    expect(resend.eventId).toBe(first.eventId);
    expect(resend.timestamp).not.toBe(first.timestamp);
  });

  it('derives different ids for different events and the same id regardless of key order', () => {
    const a = ok({ ...base, properties: { x: 1, y: 2 } }).eventId;
    expect(ok({ ...base, properties: { y: 2, x: 1 } }).eventId).toBe(a);
    expect(ok({ ...base, properties: { x: 1, y: 3 } }).eventId).not.toBe(a);
    expect(ok({ ...base, timestamp: '2024-01-20T11:00:01Z' }).eventId).not.toBe(a);
  });
});

describe('event identity across resends', () => {
  it('gives a resend the same fingerprint whatever its sentAt, receive time or skew correction', () => {
    const first = ok({ ...base, messageId: 'm1', properties: { a: 1, b: 2 } }, normalizeContext({ sentAt: RECEIVED_AT - 3_600_000 }));
    const resend = ok(
      { ...base, messageId: 'm1', properties: { b: 2, a: 1 } },
      normalizeContext({ sentAt: RECEIVED_AT + 5000, receivedAt: RECEIVED_AT + 86_400_000 }),
    );
    expect(resend.timestamp).not.toBe(first.timestamp);
    expect(resend.fingerprint).toBe(first.fingerprint);
    expect(first.fingerprint).toMatch(/^[0-9a-f]{40}$/);
  });

  it('gives the same id with other content another fingerprint', () => {
    const a = ok({ ...base, messageId: 'm1', value: 1 });
    for (const other of [{ value: 2 }, { event: 'f' }, { properties: { x: 1 } }, { timestamp: '2024-01-20T11:00:01Z' }, { userId: 'u' }]) {
      const b = ok({ ...base, messageId: 'm1', value: 1, ...other });
      expect(b.eventId).toBe(a.eventId);
      expect(b.fingerprint).not.toBe(a.fingerprint);
    }
  });

  it('derives ids from the Idempotency-Key and the row index for rows without an id', () => {
    const row = { event: 'tap', deviceId: 'd' };
    const first = normalizeRow(row, 4, normalizeContext({ idempotencyKey: 'req-1' }));
    const retry = normalizeRow(row, 4, normalizeContext({ idempotencyKey: 'req-1', receivedAt: RECEIVED_AT + 60_000 }));
    const neighbour = normalizeRow(row, 5, normalizeContext({ idempotencyKey: 'req-1' }));
    const otherRequest = normalizeRow(row, 4, normalizeContext({ idempotencyKey: 'req-2' }));
    if (!first.ok || !retry.ok || !neighbour.ok || !otherRequest.ok) throw new Error('rejected');
    expect(retry.event.eventId).toBe(first.event.eventId);
    // A row without a time of its own is stamped with the receive time, which must not make the retry a conflict.
    expect(retry.event.fingerprint).toBe(first.event.fingerprint);
    expect(neighbour.event.eventId).not.toBe(first.event.eventId);
    expect(otherRequest.event.eventId).not.toBe(first.event.eventId);
    expect(ok({ ...row, eventId: 'own' }, normalizeContext({ idempotencyKey: 'req-1' })).eventId).toBe('own');
  });

  it('without an Idempotency-Key, gives a row with neither id nor time a new id on every resend (documented)', () => {
    const row = { event: 'tap', deviceId: 'd' };
    expect(ok(row, normalizeContext({ receivedAt: RECEIVED_AT + 1 })).eventId).not.toBe(ok(row).eventId);
  });
});

describe('what DynamoDB could never store', () => {
  it('rejects values beyond the numeric contract, naming the bound', () => {
    for (const value of [1e16, -1e16, 1e200, 1e12 + 1, '1e13']) {
      expect(rejected({ ...base, value })).toMatchObject({ reason: 'validation', error: expect.stringContaining('1e+12') });
    }
    expect(ok({ ...base, value: 1e12 }).value).toBe(1e12);
    expect(ok({ ...base, value: -1e12 }).value).toBe(-1e12);
  });

  it('rounds accepted values to 6 decimal places', () => {
    expect(ok({ ...base, value: 1e-40 }).value).toBe(0);
    expect(Object.is(ok({ ...base, value: -1e-40 }).value, 0)).toBe(true);
    expect(ok({ ...base, value: 12.3456789 }).value).toBe(12.345679);
    expect(ok({ ...base, value: '0.1234564' }).value).toBe(0.123456);
    expect(ok({ ...base, value: 19.99 }).value).toBe(19.99);
  });

  it('rejects key fields over the byte limit, measured in UTF-8 after JSON escaping', () => {
    expect(ok({ ...base, event: 'a'.repeat(1024) }).event).toHaveLength(1024);
    expect(rejected({ ...base, event: 'a'.repeat(1025) }).error).toContain('maxKeyFieldBytes');
    // 256 characters of CJK, 768 bytes: what clients could always send.
    expect(ok({ ...base, event: '界'.repeat(256) }).event).toHaveLength(256);
    // 410 characters, 1,025 bytes of UTF-8.
    expect(rejected({ ...base, deviceId: `${'ü€'.repeat(205)}` }).error).toMatch(/^deviceId: .*got 1025$/);
    // 147 control characters, each 6 bytes escaped: 1,029 bytes.
    expect(rejected({ ...base, source: 'x\u0001'.repeat(147) }).error).toContain('source');
  });

  it('rejects key fields with a lone surrogate, which have no UTF-8 form', () => {
    expect(rejected({ ...base, deviceId: 'd\ud800' }).error).toContain('well-formed');
    expect(ok({ ...base, deviceId: 'd😀' }).deviceId).toBe('d😀');
  });

  it('rejects a row nested deeply enough to exhaust the stack, as a row and not a crash', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    expect(rejected({ ...base, properties: deep })).toMatchObject({ reason: 'validation', error: 'row is nested too deeply' });
  });

  it('accepts properties nested past DynamoDB’s 32 levels (they are stored as JSON text)', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 100; i++) deep = { a: deep };
    expect(ok({ ...base, properties: deep }).properties).toEqual(deep);
  });
});
