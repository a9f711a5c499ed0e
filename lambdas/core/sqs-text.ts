/**
 * SQS takes only these characters in a message body (SendMessage, MessageBody: "#x9 | #xA | #xD |
 * #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"; others are refused with
 * InvalidMessageContents, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
 * Tidemark's bodies are JSON, where such a character can only sit inside a string, and there its
 * `\uXXXX` escape means the same string: escaping keeps the event exactly as sent.
 */

/** Read with the `u` flag: a surrogate pair is one code point, a lone surrogate is matched alone. */
const REFUSED_BY_SQS = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const HAS_REFUSED = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const escapeUnit = (char: string): string => {
  let out = '';
  for (let i = 0; i < char.length; i++) out += `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
};

/** JSON text with every character SQS refuses written as a JSON escape; the same JSON value. */
export function escapeForSqs(json: string): string {
  return HAS_REFUSED.test(json) ? json.replace(REFUSED_BY_SQS, escapeUnit) : json;
}
