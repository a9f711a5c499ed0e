/** OpenPanel's `{type, payload}` rows, translated and then normalized as ingest does. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeRow } from '../../lambdas/core/normalize.js';
import { openPanelTranslator } from '../../lambdas/core/openpanel.js';
import { normalizeContext, RECEIVED_AT } from '../helpers/factories.js';

const { translate, forAudit } = openPanelTranslator({ sdkName: 'node' });

/** What ingest does with a row of /track or /track/batch. */
const ingestOne = (row: unknown, index = 0) => {
  const translated = translate(row, index);
  if (!translated.ok) return { ok: false as const, rejection: translated.rejection };
  return normalizeRow(translated.row, index, normalizeContext());
};
const accepted = (row: unknown) => {
  const result = ingestOne(row);
  if (!result.ok) throw new Error(`rejected: ${result.rejection.error}`);
  return result.event;
};
const rejected = (row: unknown, index = 4) => {
  const result = ingestOne(row, index);
  if (result.ok) throw new Error('accepted');
  return result.rejection;
};
const hoursAgo = (hours: number) => new Date(RECEIVED_AT - hours * 3_600_000).toISOString();

describe('OpenPanel track', () => {
  it('maps what @openpanel/sdk sends: name, profileId, properties, with value taken from the properties', () => {
    const event = accepted({ type: 'track', payload: { name: 'purchase', profileId: 'u1', properties: { value: 3, sku: 'a' } } });
    expect(event).toMatchObject({
      event: 'purchase',
      userId: 'u1',
      deviceId: 'u1',
      source: 'node',
      value: 3,
      properties: { value: 3, sku: 'a' },
    });
    expect(event.timestamp).toBe(new Date(RECEIVED_AT).toISOString());
  });

  it('takes __timestamp as the event time and __deviceId as the device, keeps no IP, and keeps the rest', () => {
    const event = accepted({
      type: 'track',
      payload: {
        name: 'screen_view',
        properties: { __timestamp: hoursAgo(3), __deviceId: 'phone-7', __ip: '203.0.113.9', __path: '/a', __referrer: '' },
      },
    });
    expect(event).toMatchObject({
      event: 'screen_view',
      deviceId: 'phone-7',
      timestamp: hoursAgo(3),
      properties: { __path: '/a', __referrer: '' },
    });
    expect(event.userId).toBeUndefined();
    expect(JSON.stringify(event)).not.toContain('203.0.113.9');
    expect(event.properties).not.toHaveProperty('__timestamp');
  });

  it("takes the SDK's revenue() amount as the value and keeps groups", () => {
    const event = accepted({ type: 'track', payload: { name: 'revenue', profileId: 7, groups: ['g1'], properties: { __revenue: 1999 } } });
    expect(event).toMatchObject({ userId: '7', value: 1999, properties: { __revenue: 1999, revenue: 1999, groups: ['g1'] } });
  });

  it('gives a row with no device and no profile the anonymous device derived from its __ip, and keeps no IP', () => {
    const withVisitors = openPanelTranslator({ anonymousDevice: (ip) => `anon-of-${ip ?? 'request'}` }).translate;
    const fromRow = withVisitors({ type: 'track', payload: { name: 'visit', properties: { __ip: '203.0.113.9' } } }, 0);
    const fromRequest = withVisitors({ type: 'track', payload: { name: 'visit', properties: {} } }, 1);
    expect(fromRow).toEqual({ ok: true, row: { type: 'track', event: 'visit', anonymousId: 'anon-of-203.0.113.9', properties: {} } });
    expect(fromRequest).toMatchObject({ ok: true, row: { anonymousId: 'anon-of-request' } });
    // A device or profile sent wins: nothing is derived.
    expect(
      withVisitors({ type: 'track', payload: { name: 'visit', profileId: 'u', properties: { __ip: '203.0.113.9' } } }, 2),
    ).toMatchObject({ ok: true, row: { userId: 'u' } });
    expect(withVisitors({ type: 'track', payload: { name: 'visit', profileId: 'u' } }, 2)).not.toMatchObject({
      row: { anonymousId: expect.anything() },
    });
  });

  it('rejects a row with no device and no profile when no device can be derived, saying what to send', () => {
    const rejection = rejected({ type: 'track', payload: { name: 'anon', properties: { __ip: '203.0.113.9' } } });
    expect(rejection).toEqual({ index: 4, reason: 'validation', error: expect.stringContaining('__deviceId'), retryable: false });
    const noAddress = openPanelTranslator({ anonymousDevice: () => undefined }).translate({ type: 'track', payload: { name: 'anon' } }, 4);
    expect(noAddress).toMatchObject({ ok: false, rejection: { reason: 'validation' } });
  });

  it('rejects a row older than the age floor as too_old', () => {
    const rejection = rejected({ type: 'track', payload: { name: 'old', profileId: 'u1', properties: { __timestamp: hoursAgo(6 * 24) } } });
    expect(rejection).toMatchObject({ index: 4, reason: 'too_old', error: expect.stringContaining('maxEventAgeDays') });
  });
});

describe('OpenPanel identify', () => {
  it('keeps profile fields and properties as Segment identify traits', () => {
    const event = accepted({
      type: 'identify',
      payload: { profileId: 'u1', firstName: 'A', email: 'a@example.com', properties: { plan: 'pro', __deviceId: 'phone-7' } },
    });
    expect(event).toMatchObject({
      event: 'identify',
      userId: 'u1',
      deviceId: 'phone-7',
      properties: { traits: { firstName: 'A', email: 'a@example.com', plan: 'pro' } },
    });
    expect(event.properties.traits).not.toHaveProperty('__deviceId');
  });

  it('needs a profileId', () => {
    expect(rejected({ type: 'identify', payload: { firstName: 'A' } }).error).toContain('profileId');
  });
});

describe('OpenPanel increment and decrement', () => {
  it('become profile.<property> events whose value is the signed change, 1 by default', () => {
    expect(accepted({ type: 'increment', payload: { profileId: 'u1', property: 'visits', value: 2 } })).toMatchObject({
      event: 'profile.visits',
      userId: 'u1',
      value: 2,
      properties: { property: 'visits', operation: 'increment' },
    });
    expect(accepted({ type: 'decrement', payload: { profileId: 'u1', property: 'visits' } })).toMatchObject({
      event: 'profile.visits',
      value: -1,
    });
  });

  it('reject a missing property or a value that is not a number', () => {
    expect(rejected({ type: 'increment', payload: { profileId: 'u1' } }).error).toContain('payload.property');
    expect(rejected({ type: 'decrement', payload: { profileId: 'u1', property: 'p', value: 'x' } }).error).toContain('payload.value');
  });
});

describe('OpenPanel rows that are not events', () => {
  it.each(['alias', 'group', 'assign_group', 'replay'])('refuses %s as unsupported', (type) => {
    expect(rejected({ type, payload: { profileId: 'u1', alias: 'x' } })).toMatchObject({
      index: 4,
      reason: 'unsupported',
      error: expect.stringContaining(type),
    });
  });

  it.each([
    ['not an object', 'OpenPanel object'],
    [{ payload: {} }, 'type'],
    [{ type: 'page', payload: {} }, 'type'],
    [{ type: 'track' }, 'payload'],
    [{ type: 'track', payload: { name: 'x', properties: [1] } }, 'payload.properties'],
    [{ type: 'track', payload: { profileId: 'u1' } }, 'payload.name'],
  ])('rejects %j as validation, naming %s', (row, field) => {
    expect(rejected(row)).toMatchObject({ reason: 'validation', error: expect.stringContaining(field) });
  });
});

describe('rejected rows kept for audit', () => {
  it('are kept as sent, less the IP address', () => {
    const sent = { type: 'alias', payload: { profileId: 'u', properties: { __ip: '203.0.113.9', plan: 'pro' } } };
    expect(forAudit(sent)).toEqual({ type: 'alias', payload: { profileId: 'u', properties: { plan: 'pro' } } });
    expect(sent.payload.properties.__ip).toBe('203.0.113.9');
    expect(forAudit('not an object')).toBe('not an object');
  });
});

describe('any input', () => {
  const hostile = fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('#', 'a#b', '__proto__', ' ', 'ü'.repeat(300), '\u0000'));

  it('is either a per-row rejection or an event carrying its name, profile and device, never a throw', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, fc.dictionary(hostile, fc.jsonValue()), (name, profileId, deviceId, properties) => {
        const result = ingestOne(
          { type: 'track', payload: { name, profileId, properties: { ...properties, __deviceId: deviceId, __ip: '198.51.100.1' } } },
          9,
        );
        if (!result.ok) {
          expect(result.rejection.index).toBe(9);
          return;
        }
        expect(result.event.event).toBe(name.trim());
        if (profileId.trim() !== '') expect(result.event.userId).toBe(profileId.trim());
        expect(JSON.stringify(result.event)).not.toContain('198.51.100.1');
        expect(result.event.properties).not.toHaveProperty('__deviceId');
        expect(Object.getPrototypeOf(result.event.properties)).toBe(Object.prototype);
      }),
    );
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (type, payload) => {
        const result = translate({ type, payload }, 1);
        if (!result.ok) expect(result.rejection.index).toBe(1);
      }),
    );
  });
});
