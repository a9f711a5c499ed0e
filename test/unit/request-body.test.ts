import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../lambdas/core/errors.js';
import { decodeBody, parseIngestBody, rowsReceivedAt } from '../../lambdas/core/request-body.js';

const limits = { maxRequestBytes: 10 * 1024 * 1024, maxEventsPerRequest: 2000 };
const raw = (body: Buffer | string, extra: { contentEncoding?: string } = {}) => ({
  body: Buffer.from(body).toString('base64'),
  isBase64Encoded: true,
  ...extra,
});

describe('decodeBody', () => {
  it('decodes base64 and gzip', () => {
    const json = '{"events":[{"event":"e"}]}';
    expect(decodeBody(raw(json), limits).toString()).toBe(json);
    expect(decodeBody(raw(gzipSync(json), { contentEncoding: 'gzip' }), limits).toString()).toBe(json);
    expect(decodeBody({ body: json, isBase64Encoded: false }, limits).toString()).toBe(json);
  });

  it('stops a gzip bomb at the limit with 413 naming it', () => {
    const bomb = gzipSync(Buffer.alloc(11 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const error = (() => {
      try {
        decodeBody(raw(bomb, { contentEncoding: 'gzip' }), limits);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).limit).toBe('maxRequestBytes');
  });

  it('answers 413 for a plain body over 10 MB', () => {
    expect(() => decodeBody(raw(Buffer.alloc(limits.maxRequestBytes + 1, 0x20)), limits)).toThrow(PayloadTooLargeError);
  });

  it('answers 415 for other encodings, 400 for corrupt gzip', () => {
    expect(() => decodeBody(raw('x', { contentEncoding: 'br' }), limits)).toThrow(UnsupportedMediaTypeError);
    expect(() => decodeBody(raw('not gzip', { contentEncoding: 'gzip' }), limits)).toThrow(BadRequestError);
  });
});

const mediaTypes = [
  undefined,
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'text/csv',
  'application/octet-stream',
  'APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8',
];
const notJson = (text: string) => {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
};

describe('parseIngestBody', () => {
  const parse = (body: unknown, mode: 'batch' | 'track' | 'import' = 'batch') =>
    parseIngestBody(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), mode, limits);

  it('finds rows in native, Segment and bare-array bodies, with sentAt', () => {
    expect(parse({ events: [{ a: 1 }], sentAt: '2024-01-01T00:00:00Z' })).toEqual({
      rows: [{ a: 1 }],
      sentAt: Date.parse('2024-01-01T00:00:00Z'),
    });
    expect(parse({ batch: [{ b: 1 }] }).rows).toEqual([{ b: 1 }]);
    expect(parse([{ c: 1 }]).rows).toEqual([{ c: 1 }]);
    expect(parse({ event: 'one' }, 'track').rows).toEqual([{ event: 'one' }]);
  });

  it.each([
    ['not json', 'invalid_json'],
    ['{"events":[]}', 'no_events'],
    ['[]', 'no_events'],
    ['{"event":"one"}', 'no_events'],
    ['"string"', 'no_events'],
    ['null', 'no_events'],
  ])('answers 400 for %s', (body, code) => {
    expect(() => parse(body)).toThrow(expect.objectContaining({ status: 400, code }));
  });

  it('reads a JSON body whatever its content type, and answers 415 only for a labelled body that is not JSON', () => {
    const ingest = (text: string, contentType?: string) => () => parseIngestBody(Buffer.from(text), 'batch', limits, contentType);
    fc.assert(
      fc.property(
        fc.array(fc.record({ event: fc.string({ unit: 'grapheme' }) }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(...mediaTypes),
        (events, contentType) => {
          expect(ingest(JSON.stringify({ batch: events }), contentType)().rows).toEqual(events);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.string().filter(notJson),
        fc.constantFrom('text/csv', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'),
        (text, contentType) => {
          expect(ingest(text, contentType)).toThrow(UnsupportedMediaTypeError);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.string().filter(notJson),
        fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain'),
        (text, contentType) => {
          expect(ingest(text, contentType)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_json' }));
        },
      ),
    );
  });

  it('answers 400 naming the limit for 2001 events', () => {
    expect(() => parse({ events: Array.from({ length: 2001 }, () => ({})) })).toThrow(
      expect.objectContaining({ status: 400, code: 'too_many_events', message: expect.stringContaining('2000') }),
    );
    expect(parse({ events: Array.from({ length: 2000 }, () => ({})) }).rows).toHaveLength(2000);
  });
});

describe("an import's receivedAt", () => {
  const parse = (body: unknown, mode: 'batch' | 'track' | 'import' = 'import') =>
    parseIngestBody(Buffer.from(JSON.stringify(body)), mode, limits);
  const firstReceipt = '2024-01-20T12:00:00.000Z';
  const now = Date.parse('2024-01-22T09:30:00.000Z');
  const thresholdMs = 60_000;

  it('is read with sentAt from the native and the Segment envelope of /v1/import', () => {
    const expected = { rows: [{ a: 1 }], sentAt: Date.parse('2024-01-20T09:00:00Z'), receivedAt: Date.parse(firstReceipt) };
    expect(parse({ events: [{ a: 1 }], sentAt: '2024-01-20T09:00:00Z', receivedAt: firstReceipt })).toEqual(expected);
    expect(parse({ batch: [{ a: 1 }], sent_at: '2024-01-20T09:00:00Z', received_at: firstReceipt })).toEqual(expected);
  });

  it('is ignored by /v1/batch and /v1/track, as every other unknown envelope field: a device never sets the receipt time', () => {
    expect(parse({ events: [{ a: 1 }], receivedAt: firstReceipt }, 'batch')).toEqual({ rows: [{ a: 1 }] });
    expect(parse({ batch: [{ a: 1 }], receivedAt: 'not a time' }, 'track')).toEqual({ rows: [{ a: 1 }] });
  });

  it.each([['yesterday'], [''], [true], [{ at: firstReceipt }], [1705752000], [5], ['1705752000'], [' 0 ']])(
    'answers 400 invalid_received_at for %j',
    (receivedAt) => {
      expect(() => parse({ events: [{ a: 1 }], receivedAt })).toThrow(
        expect.objectContaining({ status: 400, code: 'invalid_received_at', message: expect.stringContaining('receivedAt') }),
      );
    },
  );

  it("replaces the server's receive time, up to the skew threshold ahead of it, and answers 400 past that", () => {
    expect(rowsReceivedAt({ rows: [] }, now, thresholdMs)).toBe(now);
    expect(rowsReceivedAt({ rows: [], receivedAt: Date.parse(firstReceipt) }, now, thresholdMs)).toBe(Date.parse(firstReceipt));
    expect(rowsReceivedAt({ rows: [], receivedAt: now + thresholdMs }, now, thresholdMs)).toBe(now + thresholdMs);
    expect(() => rowsReceivedAt({ rows: [], receivedAt: now + thresholdMs + 1 }, now, thresholdMs)).toThrow(
      expect.objectContaining({ status: 400, code: 'invalid_received_at', message: expect.stringContaining('skewThresholdMs') }),
    );
  });
});
