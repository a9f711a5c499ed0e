/**
 * The layout of every DynamoDB item key, in one place: one builder per item kind, with the access
 * pattern it serves. Every user-supplied part goes through `keyPart`, so no input can form another
 * project's key (the separator is encoded) and no key can pass DynamoDB's limits (long parts are
 * hashed; the raw value is kept as an attribute of the item).
 *
 * DynamoDB limits (Developer Guide, "Service, account, and table quotas": partition key value
 * 1 to 2,048 bytes, sort key value 1 to 1,024 bytes, both UTF-8).
 */
import { sha256Hex } from './event-id.js';

export const SEPARATOR = '#';

/** UTF-8 bytes a user-supplied part may take in a key before it is replaced by its hash. */
export const MAX_KEY_PART_BYTES = 200;

/** Project ids: chosen by operators at creation, never user input on the write path. */
export const PROJECT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function isValidProjectId(projectId: string): boolean {
  return PROJECT_ID_PATTERN.test(projectId);
}

/**
 * A user-supplied string as a key part: `%`, `#` and `~` are percent-encoded (so a part never
 * contains the separator, and a plain part never starts with `~`); a part longer than
 * `MAX_KEY_PART_BYTES` once encoded becomes `~` and 40 hex digits of its SHA-256.
 */
export function keyPart(value: string): string {
  const encoded = /[%#~]/.test(value) ? value.replace(/[%#~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : value;
  return Buffer.byteLength(encoded, 'utf8') <= MAX_KEY_PART_BYTES ? encoded : `~${sha256Hex(value).slice(0, 40)}`;
}

/** Joins key parts that are already safe (constants, project ids, ISO times, `keyPart` results). */
export const joinKey = (...parts: readonly string[]): string => parts.join(SEPARATOR);

/** EventsTable: one item per stored event; every conditional put (exactly once) is made on it. Get by id. */
export const eventItemKey = (projectId: string, eventId: string) => ({ pk: joinKey(projectId, keyPart(eventId)) });

/**
 * The shard (0 to `shards - 1`) an item id falls in: a hash, so the same event always lands in the
 * same shard (a retried write is the same write) and a project's traffic spreads evenly.
 */
export const shardOf = (id: string, shards: number): number => parseInt(sha256Hex(id).slice(0, 8), 16) % shards;

/**
 * EventsTable, index `byDay`: a project's events of one UTC day (`day` is `YYYY-MM-DD`) spread over
 * `shards` partitions by the event id, each newest first by corrected time (an ISO time, so text
 * order is time order), the id breaking ties. A listing merges the day's shards.
 */
export const eventListPartition = (projectId: string, day: string, shard: number): string => joinKey(projectId, day, String(shard));
export const eventListKey = (projectId: string, day: string, timestamp: string, eventId: string, shards: number) => ({
  listPk: eventListPartition(projectId, day, shardOf(eventId, shards)),
  listSk: joinKey(timestamp, keyPart(eventId)),
});

/** StateTable: a device's live state (last seen, current session). Get by device. */
export const deviceStateKey = (projectId: string, deviceId: string) => ({
  pk: joinKey('DEVICE', projectId, keyPart(deviceId)),
  sk: 'STATE',
});

/**
 * StateTable: the lock that lets one processor emit a session's `session_start`; conditional put,
 * expires by TTL. Session ids are scoped by device (two devices may send the same client id).
 */
export const sessionLockKey = (projectId: string, deviceId: string, sessionId: string) => ({
  pk: joinKey('SESSION', projectId, keyPart(deviceId), keyPart(sessionId)),
  sk: 'LOCK',
});

/** StateTable: rejected rows of a project's day in one of its shards, newest first by receive time. Query by day and shard. */
export const rejectionPartition = (projectId: string, day: string, shard: number): string => joinKey('REJ', projectId, day, String(shard));
/**
 * One rejected row: its receive time (ISO), the request id (from API Gateway or Lambda, never from
 * the client, but a key part all the same) and its index in the request; a conflict found by the
 * processor has no request, and takes its event id instead.
 */
export const rejectionItemKey = (projectId: string, day: string, receivedAt: string, requestId: string, row: string, shards: number) => {
  const sk = joinKey(receivedAt, keyPart(requestId), keyPart(row));
  return { pk: rejectionPartition(projectId, day, shardOf(sk, shards)), sk };
};

/**
 * StateTable: one shard of a project-day's rejection budget (`rejectionsKeptPerDay`): rows offered
 * for keeping and rows not kept. Its own partition beside the day's rejection shards, which a
 * listing queries by their exact keys. Expires by TTL with the rows.
 */
export const rejectionBudgetKey = (projectId: string, day: string, shard: number) => ({
  pk: joinKey('REJ', projectId, day, 'BUDGET', String(shard)),
  sk: 'BUDGET',
});

/**
 * StateTable: one event name or source a project uses, registered once when first sent (the cap of
 * distinct names counts these); never expires, so a name in use keeps working. Get by name.
 */
export const projectNameKey = (projectId: string, kind: 'event' | 'source', name: string) => ({
  pk: joinKey('NAME', projectId, kind, keyPart(name)),
  sk: 'NAME',
});

/** StateTable: one shard of the count of a project's registered names of a kind. */
export const projectNameCountKey = (projectId: string, kind: 'event' | 'source', shard: number) => ({
  pk: joinKey('NAMES', projectId, kind, String(shard)),
  sk: 'COUNT',
});

/**
 * StateTable: one shard of a project's quota window (`S<epoch second>` or `D<YYYY-MM-DD>`), counting
 * requests, rows and bytes; expires by TTL.
 */
export const quotaWindowKey = (projectId: string, window: string, shard: number) => ({
  pk: joinKey('QUOTA', projectId, window, String(shard)),
  sk: 'Q',
});

/** KeysTable: a project's quotas when an operator changed them from the defaults. Get by project. */
export const projectQuotaKey = (projectId: string) => ({ pk: joinKey('QUOTA', projectId) });

/** StateTable: the secret salt of anonymous device ids for one UTC day (`YYYY-MM-DD`), shared by all projects; expires by TTL. */
export const deviceSaltKey = (day: string) => ({ pk: joinKey('SALT', day), sk: 'SALT' });

/** KeysTable: a project key, by the SHA-256 of the key. Get by hash. */
export const apiKeyItemKey = (keyHash: string) => ({ pk: joinKey('KEY', keyHash) });

/**
 * AggregatesTable counters. The event name is in the partition key, so a query for one event reads
 * only that event's items, never a filter over the project's. Each counter partition is split in
 * `PartitionShards.counters` shards: a counter transaction writes all its ADDs into one shard, chosen
 * per transaction (`counterShardFor`), so a project's stream batches spread over the shards instead of
 * all writing one key; a read queries every shard and adds them. An event's hours are one partition
 * per month, its days and unique devices one per year, so a query of the widest range
 * (`MaxRangeDays`) reads at most two periods per shard. Buckets are ISO prefixes (`2024-01-15T10`,
 * `2024-01-15`).
 */
export const eventCounterPartition = (
  projectId: string,
  event: string,
  granularity: 'hour' | 'day',
  bucket: string,
  shard: number,
): string =>
  granularity === 'hour'
    ? joinKey('C', projectId, 'E', keyPart(event), 'H', bucket.slice(0, 7), String(shard))
    : joinKey('C', projectId, 'E', keyPart(event), 'D', bucket.slice(0, 4), String(shard));

/** AggregatesTable: unique devices of a day over every event, one partition per year and shard. */
export const allEventsCounterPartition = (projectId: string, bucket: string, shard: number): string =>
  joinKey('C', projectId, 'A', bucket.slice(0, 4), String(shard));

/** Count and sum of the partition's event from one source in one bucket (raw event and source are attributes). */
export const countCounterSortKey = (bucket: string, source: string): string => joinKey(bucket, 'C', keyPart(source));

/** Unique devices of the partition's event (or of every event, in the all-events partition) in one day. */
export const uniqueCounterSortKey = (bucket: string): string => joinKey(bucket, 'U');

/** Every counter sort key of a bucket range starts with a bucket: `[from, to]` in a Query reads them all. */
export const counterSortKeyRange = (firstBucket: string, lastBucket: string) => ({
  from: `${firstBucket}${SEPARATOR}`,
  to: `${lastBucket}${SEPARATOR}\uffff`,
});

/**
 * AggregatesTable: the event names a project counted in one month (`YYYY-MM`), one item per name
 * (raw name as an attribute), created once before its first counters commit: a query that names no
 * event reads these to know which event partitions to read.
 */
export const eventNamesPartition = (projectId: string, month: string): string => joinKey('C', projectId, 'N', month);
export const eventNameKey = (projectId: string, month: string, event: string) => ({
  pk: eventNamesPartition(projectId, month),
  sk: keyPart(event),
});

/**
 * AggregatesTable: a unique-device marker, created once per (day, event, device) (`E#`) and once per
 * (day, device) over all events (`A#`); its creation is what moves a unique counter.
 */
export const uniqueMarkerKey = (projectId: string, day: string, deviceId: string, event: string | undefined) => ({
  // The device in the partition key: markers are only ever got by key, never queried, so a
  // project's new devices spread over as many partitions as there are devices.
  pk: joinKey('M', projectId, day, keyPart(deviceId)),
  sk: event === undefined ? 'A' : joinKey('E', keyPart(event)),
});

/**
 * AggregatesTable: a stream shard's high-water mark, the last sequence number whose counters are
 * committed. One partition per shard: every commit of every shard writes its mark, and a shared
 * partition key would cap the whole stream at one key's 1,000 writes/s. Shard ids and stream ARNs
 * come from Lambda, never from a client, but are encoded all the same.
 */
export const streamMarkKey = (streamArn: string, shardId: string) => ({
  pk: joinKey('MARK', keyPart(streamArn), keyPart(shardId)),
  sk: 'MARK',
});

/** AggregatesTable: a stream record that could not be applied, kept whole for replay. Query the partition to list them. */
export const quarantineKey = (shardId: string, sequenceNumber: string) => ({
  pk: 'QUARANTINE',
  sk: joinKey(keyPart(shardId), sequenceNumber),
});
