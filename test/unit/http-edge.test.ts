import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertWireSize, wireBytesOf } from '../../lambdas/http/api.js';
import { allowOriginFor, parseAllowOrigins, preflight } from '../../lambdas/http/cors.js';
import { PayloadTooLargeError } from '../../lambdas/core/errors.js';
import { Cors, LAMBDA_INVOKE_PAYLOAD_BYTES, Limits } from '../../resources/index.js';

describe('wire size', () => {
  it('counts the bytes the client sent, from the base64 body API Gateway passes on', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const body = Buffer.from(bytes).toString('base64');
        expect(wireBytesOf({ body: body || null, isBase64Encoded: true })).toBe(bytes.length);
      }),
    );
  });

  it('counts UTF-8 bytes of a text body', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        expect(wireBytesOf({ body: text || null, isBase64Encoded: false })).toBe(Buffer.byteLength(text));
      }),
    );
  });

  it('lets a body of exactly maxWireBytes through and refuses one byte more, naming the limit', () => {
    const at = Buffer.alloc(Limits.maxWireBytes).toString('base64');
    expect(() => assertWireSize({ body: at, isBase64Encoded: true })).not.toThrow();
    const over = Buffer.alloc(Limits.maxWireBytes + 1).toString('base64');
    expect(() => assertWireSize({ body: over, isBase64Encoded: true })).toThrow(PayloadTooLargeError);
    expect(() => assertWireSize({ body: over, isBase64Encoded: true })).toThrow(/maxWireBytes/);
  });

  it('keeps a body at the limit, base64-encoded with room for the event around it, inside Lambda’s invoke payload', () => {
    const base64Length = Math.ceil(Limits.maxWireBytes / 3) * 4;
    expect(base64Length + 64 * 1024).toBeLessThanOrEqual(LAMBDA_INVOKE_PAYLOAD_BYTES);
  });
});

describe('CORS', () => {
  const origin = fc.webUrl({ withFragments: false, withQueryParameters: false }).map((url) => new URL(url).origin);

  it('answers * to every origin when any origin may write', () => {
    fc.assert(
      fc.property(fc.option(origin, { nil: undefined }), (o) => {
        expect(allowOriginFor(o, ['*'])).toBe('*');
      }),
    );
  });

  it('echoes only a listed origin, and names the first listed one to any other', () => {
    fc.assert(
      fc.property(fc.uniqueArray(origin, { minLength: 1, maxLength: 5 }), origin, (listed, other) => {
        for (const o of listed) expect(allowOriginFor(o, listed)).toBe(o);
        if (!listed.includes(other)) expect(allowOriginFor(other, listed)).toBe(listed[0]);
      }),
    );
  });

  it('says Vary: Origin whenever the answer depends on the origin', () => {
    expect(preflight('https://a.example', ['https://a.example']).headers.vary).toBe('Origin');
    expect(preflight('https://a.example', ['*']).headers.vary).toBeUndefined();
    expect(preflight(undefined, ['*']).headers['access-control-allow-headers']).toBe(Cors.allowHeaders.join(','));
  });

  it('reads the allowed origins from the environment, * when unset', () => {
    expect(parseAllowOrigins(undefined)).toEqual(['*']);
    expect(parseAllowOrigins(' https://a.example , https://b.example ')).toEqual(['https://a.example', 'https://b.example']);
  });
});
