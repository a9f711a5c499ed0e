/** What the functions keep in memory between invocations of one container, and for how long. */

export const Caches = {
  /** Project keys (and quota settings) are read again after this many seconds; `TIDEMARK_KEY_CACHE_SECONDS` overrides it. */
  keySeconds: 30,
  /** An unknown key is remembered this long, so a flood of bad keys costs one read each per container. */
  unknownKeyMs: 5_000,
  /** Keys held at most (least recently used go first). */
  maxKeys: 10_000,
  /** Projects whose quota settings are held at most. */
  maxQuotaProjects: 10_000,
  /** Unique-device markers a counting container remembers as claimed: a later claim by another event needs no request. */
  maxKnownMarkers: 200_000,
  /** Event names (per project and month) a counting container remembers as recorded: each costs one write per container and month. */
  maxKnownEventNames: 50_000,
  /** Names an ingest container remembers as registered (or refused, or in a full shard), and for how long: a name stays registered. */
  maxKnownNames: 100_000,
  knownNameMs: 24 * 3_600_000,
  /** Rejection budget shards an ingest container remembers as full for the day. */
  maxFullBudgetShards: 10_000,
} as const;
