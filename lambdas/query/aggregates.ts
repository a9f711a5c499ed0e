/**
 * GET /v1/aggregates: reads the counter items of the events the query names, or, when it names
 * none, of the events recorded in the names partitions of its months; never a partition of another
 * event. Each read is one Query of one counter shard's partition (core/aggregate-query.ts).
 */
import { PartitionShards, ReadApi, type SeriesPoint } from '../../resources/index.js';
import { counterReadsFor, eventNamePartitionsFor, needsAllEventsUniques, summarize, type AggregateQuery } from '../core/aggregate-query.js';
import { mapWithConcurrency } from '../core/concurrency.js';
import type { CounterReader } from './ports.js';

export async function aggregateSeries(query: AggregateQuery, store: CounterReader): Promise<SeriesPoint[]> {
  const events = query.events ?? [...new Set((await Promise.all(eventNamePartitionsFor(query).map((pk) => store.eventNames(pk)))).flat())];
  const reads = counterReadsFor(query, events, PartitionShards.counters, needsAllEventsUniques(query));
  const rows = await mapWithConcurrency(reads, ReadApi.counterReadsInFlight, (read) =>
    store.queryPartition(read.pk, read.fromSk, read.toSk),
  );
  return summarize(rows.flat(), query);
}
