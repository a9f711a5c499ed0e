/**
 * Session locks in the StateTable: the one processor that takes a session's lock emits its
 * `session_start`. A lock carries a TTL; because DynamoDB deletes expired items only eventually,
 * an expired lock is treated as absent.
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sessionLockKey } from '../core/item-keys.js';
import { epochSeconds } from '../core/timestamps.js';
import { writeIfCondition } from './conditional-write.js';

export class DynamoSessionLocks {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Takes the lock that lets one processor emit a session's start. Returns true when this caller
   * holds it: newly taken, or taken earlier by the same owner (a retry after a crash).
   */
  async acquireSessionLock(
    projectId: string,
    deviceId: string,
    sessionId: string,
    ownerEventId: string,
    ttlMs: number,
    nowMs = Date.now(),
  ) {
    const { written } = await writeIfCondition(
      this.client,
      new PutCommand({
        TableName: this.tableName,
        Item: { ...sessionLockKey(projectId, deviceId, sessionId), owner: ownerEventId, expiresAt: epochSeconds(nowMs + ttlMs) },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':now': epochSeconds(nowMs), ':owner': ownerEventId },
      }),
    );
    return written;
  }
}
