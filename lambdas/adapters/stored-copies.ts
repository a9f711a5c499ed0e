/**
 * Reads what the events table holds for event ids the processor found already stored, so sessions
 * and device state follow the stored copy, never a resend's. Reads only the two attributes needed.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { eventItemKey } from '../core/item-keys.js';
import { storedFingerprintOf } from '../core/stored-event-item.js';
import type { StoredCopy } from '../process/ports.js';

/** BatchGetItem takes 100 keys. */
const MAX_KEYS_PER_BATCH_GET = 100;

export class DynamoStoredCopies {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(projectId: string, eventIds: readonly string[]): Promise<ReadonlyMap<string, StoredCopy>> {
    const copies = new Map<string, StoredCopy>();
    const unique = [...new Set(eventIds)];
    for (let i = 0; i < unique.length; i += MAX_KEYS_PER_BATCH_GET) {
      let request:
        | Record<
            string,
            { Keys: Record<string, unknown>[]; ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> }
          >
        | undefined = {
        [this.tableName]: {
          Keys: unique.slice(i, i + MAX_KEYS_PER_BATCH_GET).map((id) => eventItemKey(projectId, id)),
          ProjectionExpression: 'eventId, sessionId, #timestamp, fp, fingerprint',
          ExpressionAttributeNames: { '#timestamp': 'timestamp' },
        },
      };
      while (request && Object.keys(request).length > 0) {
        const result = await this.client.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.tableName] ?? []) {
          copies.set(String(item.eventId), {
            sessionId: String(item.sessionId),
            timestamp: String(item.timestamp),
            ...storedFingerprintOf(item),
          });
        }
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return copies;
  }
}
