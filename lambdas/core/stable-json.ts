/**
 * JSON written by hand: on Node 20 and 22 `JSON.stringify` costs ~400 ns a call before it writes
 * a byte, several times what this costs for a typical event's properties.
 *
 * `stableJson` sorts object keys at every depth, so two values that differ only in key order
 * serialize, and therefore hash, the same. `plainJson` keeps the keys in their order, for JSON
 * that is stored but never hashed.
 */
export const stableJson = (value: unknown): string => writeJson(value, true);
export const plainJson = (value: unknown): string => writeJson(value, false);

function writeJson(value: unknown, sortKeys: boolean): string {
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? arrayJson(value, sortKeys) : objectJson(value as Record<string, unknown>, sortKeys);
    default:
      // undefined, functions and symbols, as JSON.stringify writes them inside an array.
      return 'null';
  }
}

/**
 * Strings JSON writes as they are: no quote, backslash or control character, and no surrogate
 * (JSON.stringify escapes lone ones; pairs are rare enough to leave to it). Matching what is safe
 * runs over a string more than twice as fast as searching for what is not.
 */
const WRITTEN_AS_IS = /^[\x20\x21\x23-\x5b\x5d-\ud7ff\ue000-\uffff]*$/;

/** A JSON string literal; only strings with something to escape pay for `JSON.stringify`. */
export const jsonString = (text: string): string => (WRITTEN_AS_IS.test(text) ? `"${text}"` : JSON.stringify(text));

function arrayJson(items: readonly unknown[], sortKeys: boolean): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) out += (i > 0 ? ',' : '') + writeJson(items[i], sortKeys);
  return `${out}]`;
}

function objectJson(object: Record<string, unknown>, sortKeys: boolean): string {
  const keys = Object.keys(object);
  for (let i = 1; sortKeys && i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
  let out = '{';
  for (const key of keys) {
    const item = object[key];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    out += `${out.length > 1 ? ',' : ''}${jsonString(key)}:${writeJson(item, sortKeys)}`;
  }
  return `${out}}`;
}
