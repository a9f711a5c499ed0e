/** Bodies SQS takes: every refused character escaped, the JSON value unchanged. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeForSqs } from '../../lambdas/core/sqs-text.js';

// SendMessage's allowed set: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
const REFUSED = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

describe('escapeForSqs', () => {
  it('leaves no refused character and keeps the same JSON value, lone surrogates and U+FFFE/U+FFFF included', () => {
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom('\uffff', '\ufffe', '\ud800', '\udfff', '\u0000', '\u001f', '\t', '😀', 'a', '"', '\\'),
        fc.string({ unit: 'binary', maxLength: 1 }),
      ),
    });
    fc.assert(
      fc.property(fc.dictionary(text, fc.oneof(text, fc.double(), fc.array(text, { maxLength: 3 }))), (value) => {
        const json = JSON.stringify(value);
        const escaped = escapeForSqs(json);
        expect(escaped).not.toMatch(REFUSED);
        expect(JSON.parse(escaped)).toEqual(JSON.parse(json));
      }),
      { numRuns: 2000 },
    );
  });

  it('returns text SQS takes as it is', () => {
    const json = JSON.stringify({ a: 'plain ü € 😀' });
    expect(escapeForSqs(json)).toBe(json);
  });
});
