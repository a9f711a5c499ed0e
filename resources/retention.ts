/**
 * How long each short-lived item kind lives (its TTL), for the functions that write them. DynamoDB
 * deletes expired items only eventually, so readers also treat an expired item as absent.
 */
import { Limits } from './limits.js';
import { ReadApi } from './read-api.js';

const DAY_SECONDS = 86_400;

export const Retention = {
  /** A session lock outlives the session by a day; the deterministic `session_start` id covers anything later. */
  sessionLockSeconds: Limits.sessionLengthMs / 1000 + DAY_SECONDS,
  /** A device's live state (GET /v1/devices/{deviceId}) after it was last seen. */
  deviceStateSeconds: 90 * DAY_SECONDS,
  /** A day's salt of anonymous device ids: the day itself, plus a day for requests in flight at midnight. */
  daySaltSeconds: 2 * DAY_SECONDS,
  /**
   * A stream shard's mark after its last advance: a stream keeps records 24 hours, so no record at
   * or below an expired mark can still be delivered.
   */
  streamMarkSeconds: 3 * DAY_SECONDS,
  /**
   * A unique-device marker outlives its creation by the widest range `/v1/aggregates` answers and a
   * day: while any query could still show its day's unique count next to fresh events, the marker
   * stays and a late copy of the device cannot count twice; after that the item (one per day, event
   * and device) is deleted instead of kept forever.
   */
  uniqueMarkerSeconds: (ReadApi.maxAggregateRangeDays.day + 1) * DAY_SECONDS,
  /** A project's daily quota window: the day and one more, so a window is never read half-expired. */
  quotaDayWindowSeconds: 2 * DAY_SECONDS,
} as const;
