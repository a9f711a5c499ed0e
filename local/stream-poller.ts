/**
 * What Lambda's DynamoDB Streams event source mapping does, locally: one reader per shard,
 * parents before children, only the event names the mapping's filter lets through, a failed
 * batch retried as the same batch up to `retryAttempts`, and the shard position saved only after
 * the handler resolves (in a file under the data directory, so a restart resumes where it stopped).
 * Every invocation carries the shard id, as with the mapping's tumbling window.
 *
 * Lambda delivers records at least once, and a redelivery need not repeat the same batch
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html): when asked
 * (`redelivery`, a fault switch), a batch is delivered again shorter, longer, shifted back,
 * duplicated, or replayed from the oldest record this poller remembers of the shard.
 * Several consumers can each run their own poller over the same stream, with their own positions file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type GetRecordsCommandOutput,
  type Shard,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { AggregateFunction, EventsStreamMapping } from '../resources/index.js';
import { invoke, type LambdaHandler } from './invoke.js';

export type StreamPollerOptions = {
  readonly client: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly handler: LambdaHandler<ShardBatchEvent, unknown>;
  /** The consuming function, when not the aggregator: each mapping has its own batch size and timeout. */
  readonly consumer?: {
    readonly functionName: string;
    readonly timeoutSeconds: number;
    readonly batchSize: number;
    /** The mapping's MaximumRetryAttempts: after that many retries a batch goes to `onDiscard`. */
    readonly retryAttempts: number;
  };
  /** JSON file holding the last sequence number delivered per shard. */
  readonly positionsFile: string;
  readonly retryDelayMs: number;
  /** How long to wait for a fuller batch once records arrive; the mapping's batching window. */
  readonly batchingWindowMs: number;
  readonly onError: (error: unknown) => void;
  /** Fault injection: how to redeliver the batch just read, if at all; `cut` in [0, 1) places a boundary. */
  readonly redelivery?: () => { readonly mode: RedeliveryMode; readonly cut: number } | undefined;
  /** Called with a batch that exhausted its retries: Lambda's on-failure destination. */
  readonly onDiscard: (records: readonly DynamoDBRecord[]) => void;
};

/** The mapping's filter: only these stream events reach the handler. */
const WANTED_EVENT_NAMES = new Set<string>(EventsStreamMapping.eventNames);
/** GetRecords returns at most 1,000 records (DynamoDB Streams API reference, GetRecords: Limit). */
const MAX_RECORDS_PER_GET = 1000;
const RENEWABLE_ITERATOR_ERRORS = new Set(['TrimmedDataAccessException', 'ExpiredIteratorException']);

export const RedeliveryModes = ['shorter', 'longer', 'shifted', 'duplicated', 'replayed'] as const;
export type RedeliveryMode = (typeof RedeliveryModes)[number];

/** Records per shard kept for shifted and replayed deliveries: a bounded stand-in for the stream's 24 hours. */
const HISTORY_RECORDS = 2_000;

type ShardState = { iterator?: string; finished: boolean; history: DynamoDBRecord[] };

/** A stream invocation as Lambda sends it with a tumbling window: the records plus their shard. */
export type ShardBatchEvent = DynamoDBStreamEvent & {
  readonly shardId: string;
  readonly eventSourceARN: string;
  readonly window: { readonly start: string; readonly end: string };
  readonly state: Record<string, string>;
  readonly isFinalInvokeForWindow: boolean;
  readonly isWindowTerminatedEarly: boolean;
};

export function toDynamoDbRecord(record: _Record, streamArn: string): DynamoDBRecord {
  const { ApproximateCreationDateTime, ...rest } = record.dynamodb ?? {};
  return {
    eventID: record.eventID!,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? 'us-east-1',
    eventSourceARN: streamArn,
    dynamodb: {
      ...(rest as DynamoDBRecord['dynamodb']),
      ...(ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) } : {}),
    },
  };
}

export class StreamPoller {
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #shards = new Map<string, ShardState>();
  readonly #positions: Record<string, string>;
  #idle = true;

  readonly #consumer: NonNullable<StreamPollerOptions['consumer']>;

  constructor(private readonly options: StreamPollerOptions) {
    this.#consumer = options.consumer ?? {
      functionName: 'aggregate',
      timeoutSeconds: AggregateFunction.timeoutSeconds,
      batchSize: EventsStreamMapping.batchSize,
      retryAttempts: EventsStreamMapping.retryAttempts,
    };
    this.#positions = existsSync(options.positionsFile) ? JSON.parse(readFileSync(options.positionsFile, 'utf8')) : {};
  }

  get running(): boolean {
    return this.#running;
  }

  /** True when the last pass over every shard found nothing new. */
  get idle(): boolean {
    return this.#idle;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let delivered = 0;
      try {
        delivered = await this.#pass();
      } catch (error) {
        this.options.onError(error);
      }
      this.#idle = delivered === 0;
      if (delivered === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** One read of every open shard whose parent is done; returns how many records were read. */
  async #pass(): Promise<number> {
    const shards = await this.#describeShards();
    let read = 0;
    for (const shard of shards) {
      const id = shard.ShardId!;
      const state = this.#shards.get(id) ?? { finished: false, history: [] };
      this.#shards.set(id, state);
      const parent = shard.ParentShardId ? this.#shards.get(shard.ParentShardId) : undefined;
      if (state.finished || (parent && !parent.finished)) continue;
      read += await this.#readShard(id, state);
    }
    return read;
  }

  async #describeShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await this.options.client.send(
        new DescribeStreamCommand({ StreamArn: this.options.streamArn, ExclusiveStartShardId: start }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  async #readShard(shardId: string, state: ShardState): Promise<number> {
    if (!state.iterator) {
      const position = this.#positions[shardId];
      const { ShardIterator } = await this.options.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.options.streamArn,
          ShardId: shardId,
          ...(position
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: position }
            : { ShardIteratorType: EventsStreamMapping.startingPosition }),
        }),
      );
      state.iterator = ShardIterator;
    }
    if (!state.iterator) {
      state.finished = true;
      return 0;
    }
    const { records: read, iteratorLost } = await this.#collect(state);
    if (read.length > 0) {
      const records = read
        .filter((record) => WANTED_EVENT_NAMES.has(record.eventName ?? ''))
        .map((record) => toDynamoDbRecord(record, this.options.streamArn));
      if (records.length > 0) {
        for (const batch of this.#deliveries(records, state.history)) await this.#deliver(shardId, batch);
        state.history.push(...records);
        state.history.splice(0, Math.max(0, state.history.length - HISTORY_RECORDS));
      }
      this.#savePosition(shardId, read.at(-1)!.dynamodb!.SequenceNumber!);
    }
    if (iteratorLost) state.iterator = undefined;
    else if (!state.iterator) state.finished = true;
    return read.length;
  }

  /**
   * Reads up to `batchSize` records, waiting up to the batching window once the first arrive, as
   * the event source mapping's MaximumBatchingWindowInSeconds does.
   */
  async #collect(state: ShardState): Promise<{ records: _Record[]; iteratorLost: boolean }> {
    const records: _Record[] = [];
    let windowEnds = Number.POSITIVE_INFINITY;
    while (state.iterator && records.length < this.#consumer.batchSize) {
      let page: GetRecordsCommandOutput;
      try {
        page = await this.options.client.send(
          new GetRecordsCommand({
            ShardIterator: state.iterator,
            Limit: Math.min(MAX_RECORDS_PER_GET, this.#consumer.batchSize - records.length),
          }),
        );
      } catch (error) {
        // DynamoDB Local invalidates an iterator taken on a then-empty shard once records arrive;
        // like an expired iterator, it is taken again from the saved position.
        if (!RENEWABLE_ITERATOR_ERRORS.has((error as Error).name)) throw error;
        return { records, iteratorLost: true };
      }
      state.iterator = page.NextShardIterator;
      records.push(...(page.Records ?? []));
      if (records.length === 0) break;
      if (windowEnds === Number.POSITIVE_INFINITY) windowEnds = Date.now() + this.options.batchingWindowMs;
      if (Date.now() >= windowEnds || !this.#running) break;
      if ((page.Records ?? []).length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { records, iteratorLost: false };
  }

  /** The batches that deliver `records`: the batch itself, then, when a redelivery is asked for, again with other boundaries. */
  #deliveries(records: DynamoDBRecord[], history: readonly DynamoDBRecord[]): DynamoDBRecord[][] {
    const redelivery = this.options.redelivery?.();
    if (!redelivery) return [records];
    const cut = Math.max(1, Math.floor(redelivery.cut * records.length));
    const chunks = (list: readonly DynamoDBRecord[]) =>
      Array.from({ length: Math.ceil(list.length / this.#consumer.batchSize) }, (_, i) =>
        list.slice(i * this.#consumer.batchSize, (i + 1) * this.#consumer.batchSize),
      );
    switch (redelivery.mode) {
      case 'shorter':
        // As after a smaller batch size is set during an incident: the same records again, in two batches.
        return [records, records.slice(0, cut), ...(cut < records.length ? [records.slice(cut)] : [])];
      case 'longer':
        return [records.slice(0, cut), records];
      case 'shifted':
        return [
          records,
          ...chunks([
            ...history.slice(-Math.max(1, Math.floor(redelivery.cut * Math.min(history.length, this.#consumer.batchSize)))),
            ...records,
          ]),
        ];
      case 'duplicated':
        return [records, records];
      case 'replayed':
        return [records, ...chunks([...history, ...records])];
    }
  }

  /** Invokes until the handler resolves, retrying the very same batch, as Lambda does with bisect off. */
  async #deliver(shardId: string, records: DynamoDBRecord[]): Promise<void> {
    const now = new Date();
    const event: ShardBatchEvent = {
      Records: records,
      shardId,
      eventSourceARN: this.options.streamArn,
      window: { start: now.toISOString(), end: new Date(now.getTime() + EventsStreamMapping.tumblingWindowSeconds * 1000).toISOString() },
      state: {},
      isFinalInvokeForWindow: false,
      isWindowTerminatedEarly: false,
    };
    for (let attempt = 0; attempt <= this.#consumer.retryAttempts; attempt++) {
      try {
        await invoke(this.#consumer.functionName, this.options.handler, event, this.#consumer.timeoutSeconds);
        return;
      } catch (error) {
        this.options.onError(error);
        if (!this.#running) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs * Math.min(2 ** attempt, 16)));
      }
    }
    this.options.onDiscard(records);
  }

  #savePosition(shardId: string, sequenceNumber: string): void {
    this.#positions[shardId] = sequenceNumber;
    const temporary = `${this.options.positionsFile}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.#positions));
    renameSync(temporary, this.options.positionsFile);
  }
}
