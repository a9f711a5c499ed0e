import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStoredJson, encodeStoredJson } from '../../lambdas/core/stored-json.js';

const SDK_CONTEXT = JSON.stringify({
  library: { name: 'tidemark-ios', version: '1.5.0' },
  os: { name: 'iOS', version: '17.4.1' },
  device: { model: 'iPhone15,2', manufacturer: 'Apple' },
  locale: 'de-DE',
  timezone: 'Europe/Berlin',
  userAgentInfo: { os: 'iOS', osVersion: '17.4.1', deviceType: 'mobile' },
});

describe('stored JSON (properties and context in the events table)', () => {
  it('compresses an SDK context to well under its text, and reads it back exactly', () => {
    const stored = encodeStoredJson(SDK_CONTEXT);
    expect(stored).toBeInstanceOf(Uint8Array);
    expect(stored.length).toBeLessThan(Buffer.byteLength(SDK_CONTEXT) * 0.6);
    expect(decodeStoredJson(stored)).toBe(SDK_CONTEXT);
  });

  it('keeps small objects as plain text, where compression would not save a byte', () => {
    for (const json of ['{}', '{"a":1}', '{"q":"zx"}']) expect(encodeStoredJson(json)).toBe(json);
  });

  it('reads plain JSON text, as items stored before compression hold it, unchanged', () => {
    const before = '{"padding":"x","note":"naïve #1 — 日本語 🎉"}';
    expect(decodeStoredJson(before)).toBe(before);
  });

  it('round-trips unicode (astral, combining, escapes) and large texts byte for byte', () => {
    const unicode = JSON.stringify({ note: 'naïve café — 日本語テキスト 🎉👩‍👩‍👧 e\u0301', quote: '"\\\n\t', empty: '' }).repeat(1);
    const large = JSON.stringify({ items: Array.from({ length: 2000 }, (_, i) => ({ sku: `SKU-${i}`, price: i / 7 })) });
    for (const json of [unicode, large]) {
      const stored = encodeStoredJson(json);
      expect(decodeStoredJson(stored)).toBe(json);
    }
    expect(encodeStoredJson(large).length).toBeLessThan(Buffer.byteLength(large) / 3);
  });

  it('never stores more bytes than the text, and always reads back what it was given', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        const json = JSON.stringify(value);
        const stored = encodeStoredJson(json);
        expect(typeof stored === 'string' ? Buffer.byteLength(stored) : stored.length).toBeLessThanOrEqual(Buffer.byteLength(json));
        expect(decodeStoredJson(stored)).toBe(json);
      }),
    );
  });

  it('refuses a binary form it does not know instead of guessing', () => {
    expect(() => decodeStoredJson(Uint8Array.from([9, 1, 2, 3]))).toThrow(/unknown format \(9\)/);
  });
});
