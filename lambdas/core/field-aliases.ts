/** The names clients send each canonical field under (Segment, RudderStack, OpenPanel, snake_case, Tidemark's own). */

/** Each canonical field and the names clients send it under, in order of preference. */
export const FieldAliases = {
  event: ['event', 'name', 'metric', 'event_type', 'eventType', 'type'],
  deviceId: ['deviceId', 'device_id', 'anonymousId', 'anonymous_id', 'context.device.id', '__deviceId'],
  userId: ['userId', 'user_id', 'profileId'],
  source: ['source', 'client_id', 'clientId', 'client', 'origin'],
  value: ['value', 'amount', 'count', 'quantity', 'total', 'price', 'revenue'],
  timestamp: ['timestamp', 'time', 'ts', 'date', 'created_at', 'createdAt', '__timestamp', 'originalTimestamp'],
  // Never a generic `id` or `uuid`: those name products and orders, and two purchases of one product
  // would be taken for one event. They stay in `properties`.
  eventId: ['eventId', 'event_id', 'messageId', 'insertId', 'insert_id', '$insert_id'],
  sessionId: ['sessionId', 'session_id', '$session_id'],
  properties: ['properties', 'params', 'event_properties'],
} as const;

export type CanonicalField = keyof typeof FieldAliases;

const isCanonicalField = (name: string): name is CanonicalField => Object.hasOwn(FieldAliases, name);

/** The canonical fields, in the order `FieldAliases` declares them. */
export const CANONICAL_FIELDS: readonly CanonicalField[] = Object.keys(FieldAliases).filter(isCanonicalField);

/** The aliases of `field`, most preferred first. */
export const aliasesOf = (field: CanonicalField): readonly string[] => FieldAliases[field];

/** alias → canonical field, so one pass over a row's keys finds every field; dotted aliases are paths, read apart. */
export const ALIAS_INDEX: ReadonlyMap<string, CanonicalField> = new Map(
  CANONICAL_FIELDS.flatMap((field) =>
    aliasesOf(field)
      .filter((alias) => !alias.includes('.'))
      .map((alias): [string, CanonicalField] => [alias, field]),
  ),
);

/** Where the `context.device.id` path ranks among the device id's aliases. */
export const DEVICE_ID_PATH_RANK = aliasesOf('deviceId').indexOf('context.device.id');
