/**
 * Stored events in the EventsTable. Storing is a conditional put on the event's key
 * (`eventItemKey`), which is what makes redelivery, resends and retries store nothing twice; when
 * the id is taken, the stored content fingerprint tells a true duplicate from a conflict.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { writeIfCondition } from './conditional-write.js';
import { EventsTable, PartitionShards, ReadApi } from '../../resources/index.js';
import { eventItemKey, eventListKey, eventListPartition } from '../core/item-keys.js';
import { dayBucket } from '../core/timestamps.js';
import { eventItemContent, eventOfItem, fingerprintsAgree } from '../core/stored-event-item.js';
import { readDaysNewestFirst } from './day-pages.js';
import { sortKeyBounds, type DayCursor } from '../core/day-range.js';
import { mergeShardsNewestFirst } from './sharded-listing.js';
import type { StoredEvent } from '../core/types.js';
import type { EventStore, PutOutcome } from '../process/ports.js';
import type { EventFilter, EventListing } from '../query/ports.js';

/**
 * Compares the content of the copy being stored with the stored one (`fp`, or `fingerprint` on
 * items written before it). Without a fingerprint on either side (events stored before
 * fingerprints, pipeline-made `session_start`s with a deterministic id) the id alone decides, as it always did.
 */
function outcomeOfTakenId(stored: Record<string, AttributeValue> | undefined, given: string | undefined): PutOutcome {
  if (stored === undefined) return 'duplicate';
  const fingerprint = {
    ...(stored.fp?.B ? { fp: stored.fp.B } : {}),
    ...(stored.fingerprint?.S ? { fingerprint: stored.fingerprint.S } : {}),
  };
  return fingerprintsAgree(fingerprint, given) ? 'duplicate' : 'conflict';
}

export class DynamoEventStore implements EventStore, EventListing {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async putIfAbsent(event: StoredEvent): Promise<PutOutcome> {
    const timeMs = Date.parse(event.timestamp);
    const put = await writeIfCondition(
      this.client,
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...eventItemContent(event),
          ...eventItemKey(event.projectId, event.eventId),
          ...eventListKey(event.projectId, dayBucket(timeMs), event.timestamp, event.eventId, PartitionShards.eventList),
          ts: timeMs,
          // Retention runs from when the event was received, not when it happened: a backfill of
          // events older than the retention must not arrive already expired, or TTL would delete
          // it and a resend would store (and count) it again. Nor from an import's declared first
          // receipt (a replay of rows rejected months ago), for the same reason: from now at the least.
          expiresAt: Math.floor(Math.max(Date.parse(event.receivedAt), Date.now()) / 1000) + this.retentionDays * 86_400,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
        // The stored item comes back with the failure, at no extra read: one request tells a
        // duplicate from a conflict (PutItem, ReturnValuesOnConditionCheckFailure,
        // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html).
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return put.written ? 'stored' : outcomeOfTakenId(put.existing, event.fingerprint);
  }

  /** Newest first, walking day partitions backwards from `toMs`; `nextCursor` is set while more may follow. */
  async list(filter: EventFilter): Promise<{ events: StoredEvent[]; nextCursor?: DayCursor }> {
    const { items, nextCursor } = await readDaysNewestFirst(filter, (day, remaining, after) =>
      this.#queryDay(filter, day, remaining, after),
    );
    const events = await this.#fetch(items);
    return nextCursor ? { events, nextCursor } : { events };
  }

  async #queryDay(filter: EventFilter, day: string, limit: number, after: Record<string, unknown> | undefined) {
    const bounds = sortKeyBounds(filter);
    const conditions: string[] = [];
    const values: Record<string, unknown> = { ':from': bounds.from };
    const names: Record<string, string> = {};
    for (const field of ['event', 'deviceId', 'source'] as const) {
      const wanted = filter[field];
      if (wanted === undefined) continue;
      conditions.push(`#${field} = :${field}`);
      names[`#${field}`] = field;
      values[`:${field}`] = wanted;
    }
    const before = typeof after?.listSk === 'string' ? after.listSk : undefined;
    const page = await mergeShardsNewestFirst<Record<string, unknown>>({
      shards: PartitionShards.eventList,
      to: bounds.to,
      ...(before === undefined ? {} : { before }),
      limit,
      sortKeyName: 'listSk',
      sortKeyOf: (item) => String(item.listSk),
      // A filter applies after the limit; read more per query so a sparse filter needs fewer round trips.
      pageSize: (remaining) => (conditions.length > 0 ? Math.max(remaining, ReadApi.minFilteredQueryItems) : remaining + 1),
      query: async (shard, to, pageSize, startKey) => {
        const result = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: EventsTable.globalIndexes[0].indexName,
            KeyConditionExpression: 'listPk = :pk AND listSk BETWEEN :from AND :to',
            ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names } : {}),
            ExpressionAttributeValues: { ...values, ':pk': eventListPartition(filter.projectId, day, shard), ':to': to },
            ScanIndexForward: false,
            Limit: pageSize,
            ExclusiveStartKey: startKey,
          }),
        );
        return { items: result.Items ?? [], ...(result.LastEvaluatedKey ? { lastKey: result.LastEvaluatedKey } : {}) };
      },
    });
    return { items: page.items.map((item) => ({ pk: item.pk })), ...(page.lastKey ? { lastKey: page.lastKey } : {}) };
  }

  async #fetch(keys: Record<string, unknown>[]): Promise<StoredEvent[]> {
    const found = new Map<string, StoredEvent>();
    for (let i = 0; i < keys.length; i += 100) {
      let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
        [this.tableName]: { Keys: keys.slice(i, i + 100) },
      };
      while (request && Object.keys(request).length > 0) {
        const result = await this.client.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.tableName] ?? []) found.set(String(item.pk), eventOfItem(item));
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return keys.map((key) => found.get(String(key.pk))).filter((event): event is StoredEvent => event !== undefined);
  }
}
