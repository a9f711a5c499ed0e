/** Listing cursors: signed, bound to route, project and filters, and checked against the query's range. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayCursorWithin } from '../../lambdas/core/day-range.js';
import { openCursor, signCursor } from '../../lambdas/core/cursor.js';
import type { TidemarkError } from '../../lambdas/core/errors.js';

const SECRET = 'test-secret';
const binding = { route: '/v1/events', projectId: 'demo', filters: { event: 'buy', deviceId: undefined } };
const position = { day: '2026-11-24', after: { pk: 'demo#e1', listPk: 'demo#2026-11-24', listSk: '2026-11-24T10:00:00.000Z#e1' } };

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error as TidemarkError;
  }
  throw new Error('accepted');
};

describe('signCursor and openCursor', () => {
  it('opens what they signed for the same binding', () => {
    expect(openCursor(SECRET, binding, signCursor(SECRET, binding, position))).toEqual(position);
    // An absent filter is the same binding whether left out or undefined.
    expect(openCursor(SECRET, { ...binding, filters: { event: 'buy' } }, signCursor(SECRET, binding, position))).toEqual(position);
  });

  it('refuses a cursor of another project, route, filter or secret with 400 invalid_cursor', () => {
    const cursor = signCursor(SECRET, binding, position);
    for (const [secret, other] of [
      [SECRET, { ...binding, projectId: 'demo-b' }],
      [SECRET, { ...binding, route: '/v1/rejections' }],
      [SECRET, { ...binding, filters: { event: 'sell' } }],
      [SECRET, { ...binding, filters: { event: 'buy', source: 'ios' } }],
      ['another-secret', binding],
    ] as const) {
      expect(refusal(() => openCursor(secret, other, cursor))).toMatchObject({ status: 400, code: 'invalid_cursor' });
    }
  });

  it('refuses any edited or made-up cursor', () => {
    const cursor = signCursor(SECRET, binding, position);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.nat(), (text, at) => {
        const edited = cursor.slice(0, at % cursor.length) + text + cursor.slice((at % cursor.length) + 1);
        fc.pre(edited !== cursor);
        expect(refusal(() => openCursor(SECRET, binding, edited))).toMatchObject({ status: 400, code: 'invalid_cursor' });
      }),
      { numRuns: 2000 },
    );
    const handMade = Buffer.from(JSON.stringify({ day: 'b#2026-11-24' })).toString('base64url');
    expect(refusal(() => openCursor(SECRET, binding, handMade)).code).toBe('invalid_cursor');
  });
});

describe('dayCursorWithin', () => {
  const range = { fromMs: Date.parse('2026-11-20T00:00:00Z'), toMs: Date.parse('2026-11-25T00:00:00Z'), limit: 10 };

  it('takes a position inside the range', () => {
    expect(dayCursorWithin(range, position, 'listSk')).toEqual(position);
    expect(dayCursorWithin(range, { day: '2026-11-20' }, 'listSk')).toEqual({ day: '2026-11-20' });
  });

  it('refuses a day outside the range, so no cursor makes a query walk thousands of days', () => {
    for (const day of ['2099-01-01', '2026-11-19', '2026-11-25', 'b#2026-11-24', '2026-11-24#x']) {
      expect(refusal(() => dayCursorWithin(range, { day }, 'listSk')).code).toBe('invalid_cursor');
    }
  });

  it('refuses a start key outside the range (the client narrowed it between pages)', () => {
    const narrowed = { ...range, toMs: Date.parse('2026-11-24T09:00:00Z') };
    expect(refusal(() => dayCursorWithin(narrowed, position, 'listSk')).code).toBe('invalid_cursor');
    expect(refusal(() => dayCursorWithin(range, { ...position, after: { pk: 'x' } }, 'listSk')).code).toBe('invalid_cursor');
  });
});
