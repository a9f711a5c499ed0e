/**
 * How many partitions each per-project write stream is spread over. DynamoDB serves at most 1,000
 * write units per second on one partition ("each individual partition is limited to 1000 write
 * units per second and 3000 read units per second":
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html),
 * and splitting a hot partition does not help a key whose sort key only grows, so a project's
 * writes must land on many keys. Readers merge the shards (lambdas/adapters/sharded-listing.ts).
 */
export const PartitionShards = {
  /**
   * The `byDay` listing index: one index write (1 unit) per stored event, spread by the event id's
   * hash. 32 shards carry one project at 32,000 events/s before any shard nears 1,000 units/s; a
   * page read queries each shard of a day once (in parallel), a small read each.
   */
  eventList: 32,
  /** Rejected rows of a project's day: a garbage flood spreads over these before it throttles. */
  rejections: 8,
  /**
   * Each counter partition (an event's hours of a month, days of a year): a counter transaction
   * writes into one shard chosen per transaction, so each shard takes a quarter of a project's
   * stream batches. A query reads every shard of each event and period it covers (4 small queries
   * per event and month of hours, or year of days): more shards would cost every read more for
   * headroom the write side does not need (docs/scaling.md, "Counters").
   */
  counters: 4,
} as const;
