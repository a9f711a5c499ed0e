/** Reading JSON objects as clients send them: own keys only, and a `__proto__` key kept as data. */
import type { Json, JsonObject } from './types.js';

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function hasKeys(object: JsonObject): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true;
  return false;
}

/** The value at `path` in `object`, through own keys only. */
export function dig(object: JsonObject, path: readonly string[]): Json | undefined {
  let current: Json | undefined = object;
  for (const key of path) {
    if (!isObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** A `__proto__` key arrives from JSON.parse as an own property and must stay one, never become the prototype. */
export function define(object: Record<string, Json | undefined>, key: string, value: Json | undefined): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}
