/**
 * Normalization, step 2: checks the canonical fields a row was read into (row-fields.ts). Takes what
 * clients send loosely and mean plainly (`404` as an event name, `"12.50"` as a value, names with
 * stray spaces, null for absent), then checks the canonical shape. The first broken rule comes back
 * with its field's name. Written out rather than declared with zod: it runs for every row, and a
 * schema library's generality costs more here than the whole rest of the checks.
 */
import { Limits } from '../../resources/limits.js';
import { isObject } from './json-object.js';
import type { RowFields } from './row-fields.js';
import { SYNTHETIC_SESSION_START } from './sessions.js';
import { jsonString } from './stable-json.js';
import type { JsonObject } from './types.js';
import { checkValue } from './value.js';

export type CheckedFields = {
  readonly event: string;
  readonly deviceId: string;
  readonly userId: string | undefined;
  readonly sessionId: string | undefined;
  readonly source: string | undefined;
  readonly eventId: string | undefined;
  readonly value: number | undefined;
  readonly properties: JsonObject;
};

type Failed = { readonly ok: false; readonly error: string };
export type Checked<T> = { readonly ok: true; readonly value: T } | Failed;

type OptionalTextField = 'userId' | 'sessionId' | 'source' | 'eventId';
type TextField = 'event' | 'deviceId' | OptionalTextField;
/** In the order their rules are checked. */
const OPTIONAL_TEXT_FIELDS: readonly OptionalTextField[] = ['userId', 'sessionId', 'source', 'eventId'];

/** Read with the `u` flag, a surrogate pair is one code point: only a lone surrogate is matched. */
const LONE_SURROGATE = /\p{Cs}/u;
const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

const failed = (field: string, problem: string): Failed => ({ ok: false, error: `${field}: ${problem}` });
const absent = (raw: unknown): boolean => raw === undefined || raw === null;

/** A text field as sent (a string, or a finite number taken as its text), trimmed, or why it cannot be one. */
export function textOf(field: TextField, raw: unknown): Checked<string> {
  const value = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
  if (typeof value !== 'string') return failed(field, 'must be a string');
  const name = value.trim();
  if (name === '') return failed(field, 'must not be empty');
  // A lone surrogate has no UTF-8 form: it could be neither a key nor a message body.
  if (LONE_SURROGATE.test(name)) return failed(field, 'must be well-formed Unicode (a lone surrogate is not)');
  // Measured as it is written into keys and JSON, so every key derived from it fits DynamoDB's limits.
  // (A UTF-16 unit takes at most 6 bytes escaped, so short strings need no measuring.)
  if (name.length > Limits.maxKeyFieldBytes / 6) {
    const bytes = Buffer.byteLength(jsonString(name)) - 2;
    if (bytes > Limits.maxKeyFieldBytes)
      return failed(
        field,
        `must be at most ${Limits.maxKeyFieldBytes} bytes of UTF-8 after JSON escaping (maxKeyFieldBytes); got ${bytes}`,
      );
  }
  // The processor's synthetic starts carry this name; a client's would be counted with them.
  if (field === 'event' && name === SYNTHETIC_SESSION_START) {
    return failed(field, `'${SYNTHETIC_SESSION_START}' is reserved for the session starts Tidemark writes; name yours session_start`);
  }
  return { ok: true, value: name };
}

const requiredText = (field: TextField, raw: unknown): Checked<string> => (absent(raw) ? failed(field, 'is required') : textOf(field, raw));
const optionalText = (field: TextField, raw: unknown): Checked<string | undefined> =>
  absent(raw) ? { ok: true, value: undefined } : textOf(field, raw);

/** `value` as a number within the numeric contract (value.ts); numeric text is read as its number. */
function numericValue(raw: unknown): Checked<number | undefined> {
  const value = typeof raw === 'string' && NUMERIC.test(raw.trim()) ? Number(raw) : raw;
  if (absent(value)) return { ok: true, value: undefined };
  if (typeof value !== 'number') return failed('value', 'must be a number');
  const checked = checkValue(value);
  return checked.ok ? { ok: true, value: checked.value } : { ok: false, error: checked.error };
}

/** The fields in the order their rules are checked: the text fields, then `value`, then `properties`. */
export function checkFields(fields: RowFields): Checked<CheckedFields> {
  const event = requiredText('event', fields.event);
  if (!event.ok) return event;
  const deviceId = requiredText('deviceId', fields.deviceId);
  if (!deviceId.ok) return deviceId;
  const optional: { [field in OptionalTextField]?: string } = {};
  for (const field of OPTIONAL_TEXT_FIELDS) {
    const checked = optionalText(field, fields[field]);
    if (!checked.ok) return checked;
    if (checked.value !== undefined) optional[field] = checked.value;
  }
  const value = numericValue(fields.value);
  if (!value.ok) return value;
  if (!isObject(fields.properties)) return failed('properties', 'must be an object');
  return {
    ok: true,
    value: {
      event: event.value,
      deviceId: deviceId.value,
      userId: optional.userId,
      sessionId: optional.sessionId,
      source: optional.source,
      eventId: optional.eventId,
      value: value.value,
      properties: fields.properties,
    },
  };
}
