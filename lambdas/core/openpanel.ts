/**
 * OpenPanel's wire protocol (`POST /track`, `POST /track/batch`): each `{type, payload}` object an
 * OpenPanel SDK sends becomes the Segment message it means, which `normalizeRow` then handles like
 * any other row. So OpenPanel rows get the same limits, identity, sessions and per-row results.
 *
 * - `track`: `payload.name` is the event, `payload.profileId` the user; of the properties,
 *   `__timestamp` is the event time, `__deviceId` the device, `__revenue` (the SDK's `revenue()`)
 *   the value when no other value alias is there, and `__ip` is dropped: no raw IP is kept.
 * - A row with neither `__deviceId` nor `profileId` (what `@openpanel/web` sends for visitors)
 *   gets the anonymous device the caller derives from `__ip` (a server-side SDK forwarding its
 *   visitor's address) or the request's own address; see `anonymous-device.ts`.
 * - `identify`: the profile fields and properties become Segment `identify` traits.
 * - `increment` / `decrement` change a profile property in OpenPanel; Tidemark has no profiles, so
 *   each becomes an event `profile.<property>` whose value is the signed change (default 1): its
 *   sum over a range is the property's net change, its count how often it changed.
 * - `alias`, `group`, `assign_group` and `replay` are refused per row as `unsupported`.
 */
import { isObject } from './json-object.js';
import type { JsonObject, Rejection } from './types.js';
import { RejectionReason } from './types.js';

export type Translated = { readonly ok: true; readonly row: JsonObject } | { readonly ok: false; readonly rejection: Rejection };

/** Reads the rows of another wire protocol. */
export type RowTranslator = {
  /** One row as sent, as the row normalization reads. */
  readonly translate: (row: unknown, index: number) => Translated;
  /** A rejected row as kept for audit: what was sent, less what must never be stored. */
  readonly forAudit: (row: unknown) => unknown;
};

export type OpenPanelOptions = {
  /** The `openpanel-sdk-name` header (`node`, `web`, …), kept as the event's `source`. */
  readonly sdkName?: string;
  /**
   * The device of a row that names none, from the `__ip` it carries (if any); undefined when
   * none can be derived, and the row is then rejected.
   */
  readonly anonymousDevice?: (rowIp: string | undefined) => string | undefined;
};

export const SupportedTypes = ['track', 'identify', 'increment', 'decrement'] as const;
const UnsupportedTypes = new Set(['alias', 'group', 'assign_group', 'replay']);

export function openPanelTranslator(options: OpenPanelOptions = {}): RowTranslator {
  const source = options.sdkName?.trim() || undefined;
  return { translate: (row, index) => translate(row, index, source, options.anonymousDevice), forAudit: withoutIp };
}

/** The row without `payload.properties.__ip`: a rejected row is kept for audit, and no IP may be. */
function withoutIp(row: unknown): unknown {
  if (!isObject(row) || !isObject(row.payload) || !isObject(row.payload.properties) || !Object.hasOwn(row.payload.properties, '__ip'))
    return row;
  const { __ip: _ip, ...properties } = row.payload.properties;
  return { ...row, payload: { ...row.payload, properties } };
}

function translate(
  row: unknown,
  index: number,
  source: string | undefined,
  anonymousDevice: OpenPanelOptions['anonymousDevice'],
): Translated {
  if (!isObject(row)) return reject(index, RejectionReason.validation, 'row must be an OpenPanel object {type, payload}');
  const { type, payload } = row;
  if (typeof type === 'string' && UnsupportedTypes.has(type)) {
    return reject(index, RejectionReason.unsupported, `OpenPanel type '${type}' is not supported; send ${SupportedTypes.join(', ')}`);
  }
  if (!isSupported(type)) {
    return reject(index, RejectionReason.validation, `type: must be one of ${SupportedTypes.join(', ')}`);
  }
  if (!isObject(payload)) return reject(index, RejectionReason.validation, 'payload: must be an object');
  if (payload.properties !== undefined && payload.properties !== null && !isObject(payload.properties)) {
    return reject(index, RejectionReason.validation, 'payload.properties: must be an object');
  }
  const properties = isObject(payload.properties) ? payload.properties : {};
  const message = messageOf(type, payload, properties);
  if (typeof message === 'string') return reject(index, RejectionReason.validation, message);
  if (!present(message.userId) && !present(message.anonymousId)) {
    const device = anonymousDevice?.(typeof properties.__ip === 'string' && properties.__ip !== '' ? properties.__ip : undefined);
    if (device === undefined) {
      return reject(
        index,
        RejectionReason.validation,
        'deviceId: is required; send properties.__deviceId (setGlobalProperties) or a payload.profileId (identify first)',
      );
    }
    message.anonymousId = device;
  }
  if (source !== undefined) message.source = source;
  return { ok: true, row: message };
}

function messageOf(type: (typeof SupportedTypes)[number], payload: JsonObject, properties: JsonObject): JsonObject | string {
  const kept = withoutConventions(properties);
  const message: JsonObject = {};
  setPresent(message, 'userId', payload.profileId);
  setPresent(message, 'anonymousId', properties.__deviceId);
  setPresent(message, 'timestamp', properties.__timestamp);
  switch (type) {
    case 'track': {
      if (!present(payload.name)) return 'payload.name: is required';
      if (kept.__revenue !== undefined && kept.revenue === undefined) kept.revenue = kept.__revenue;
      if (payload.groups !== undefined && kept.groups === undefined) kept.groups = payload.groups;
      return { type: 'track', event: payload.name!, ...message, properties: kept };
    }
    case 'identify': {
      if (!present(payload.profileId)) return 'payload.profileId: is required for identify';
      const { profileId: _profileId, properties: _properties, ...profile } = payload;
      return { type: 'identify', ...message, traits: { ...kept, ...profile } };
    }
    case 'increment':
    case 'decrement': {
      if (typeof payload.property !== 'string' || payload.property.trim() === '') return 'payload.property: is required';
      const by = payload.value ?? 1;
      if (typeof by !== 'number' || !Number.isFinite(by)) return 'payload.value: must be a number';
      const change = type === 'increment' ? by : -by;
      return {
        type: 'track',
        event: `profile.${payload.property.trim()}`,
        ...message,
        properties: { property: payload.property, operation: type, value: change },
      };
    }
  }
}

function isSupported(type: unknown): type is (typeof SupportedTypes)[number] {
  return (SupportedTypes as readonly unknown[]).includes(type);
}

function withoutConventions(properties: JsonObject): JsonObject {
  // Rest destructuring defines own properties, so a `__proto__` key from JSON.parse stays data.
  const { __timestamp: _timestamp, __deviceId: _deviceId, __ip: _ip, ...kept } = properties;
  return kept;
}

const present = (value: unknown): boolean => value !== undefined && value !== null && value !== '';

function setPresent(message: JsonObject, key: string, value: JsonObject[string] | undefined): void {
  if (present(value)) message[key] = value!;
}

function reject(index: number, reason: RejectionReason, error: string): Translated {
  return { ok: false, rejection: { index, reason, error, retryable: false } };
}
