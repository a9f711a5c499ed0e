/**
 * The stored events of a range of event time, read with a Scan of the events table filtered by
 * time (and project): for an operator's tool after an incident (`reconcile`, `lake backfill`),
 * never for every minute. A Scan reads the whole table whatever the filter, so its cost is the
 * hot tier's size, not the range's.
 */
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Target } from '../target.js';

export type StoredEventRange = { readonly fromMs: number; readonly toMs: number; readonly projectId?: string };

/** Only these attributes, when given (names are aliased, since `event`, `source` and `value` are reserved words). */
export type StoredEventProjection = readonly string[];

/** Pages of raw items, as DynamoDB returns them. */
export async function* scanStoredEvents(
  target: Target,
  range: StoredEventRange,
  projection?: StoredEventProjection,
): AsyncGenerator<Record<string, AttributeValue>[]> {
  const names = projection ? Object.fromEntries(projection.map((name, i) => [`#a${i}`, name])) : undefined;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await target.documents.send(
      new ScanCommand({
        TableName: target.eventsTableName,
        FilterExpression: `ts >= :from AND ts < :to${range.projectId ? ' AND projectId = :project' : ''}`,
        ExpressionAttributeValues: {
          ':from': { N: String(range.fromMs) },
          ':to': { N: String(range.toMs) },
          ...(range.projectId ? { ':project': { S: range.projectId } } : {}),
        },
        ...(names ? { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names } : {}),
        ExclusiveStartKey: start,
      }),
    );
    yield page.Items ?? [];
    start = page.LastEvaluatedKey;
  } while (start);
}
