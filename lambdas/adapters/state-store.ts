/**
 * Per-device and short-lived state in the StateTable: session locks, live device state, rejected
 * rows kept for audit, per-project rate windows, and the daily salt of anonymous device ids. Every item carries a TTL, and because DynamoDB
 * deletes expired items only eventually, an expired item is treated as absent.
 */
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { deviceSaltKey, deviceStateKey, rejectionItemKey, rejectionPartition, sessionLockKey } from '../core/item-keys.js';
import { dayBucket } from '../core/timestamps.js';
import { RejectionReason, type DeviceState, type RejectedRow, type StoredEvent } from '../core/types.js';
import { writeIfCondition } from './conditional-write.js';
import { readDaysNewestFirst, sortKeyBounds, type DayCursor, type DayRange } from './day-pages.js';


/**
 * The rejection kept when an event id was already stored with other content: the whole copy that
 * was not stored (as the processor got it), so nothing is silently lost and an operator can
 * replay it under a new id.
 */
export function conflictRejection(event: StoredEvent): RejectedRow {
  return {
    eventId: event.eventId,
    reason: RejectionReason.conflict,
    error: `event id '${event.eventId.slice(0, 128)}' was already stored with different content; this copy was not stored`,
    retryable: false,
    receivedAt: event.receivedAt,
    requestId: 'processor',
    row: JSON.stringify(event),
  };
}

const epochSeconds = (ms: number) => Math.floor(ms / 1000);

export class DynamoStateStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Takes the lock that lets one processor emit a session's start. Returns true when this caller
   * holds it: newly taken, or taken earlier by the same owner (a retry after a crash).
   */
  async acquireSessionLock(projectId: string, deviceId: string, sessionId: string, ownerEventId: string, ttlMs: number, nowMs = Date.now()) {
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

  /** Moves the device's live state forward only: an older event never overwrites a newer one. */
  async advanceDevice(projectId: string, state: DeviceState, ttlMs: number): Promise<void> {
    // Refused: the device was already seen later, and stays as it is.
    await writeIfCondition(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: deviceStateKey(projectId, state.deviceId),
        UpdateExpression: 'SET lastSeen = :lastSeen, sessionId = :sessionId, deviceId = :deviceId, expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(lastSeen) OR lastSeen < :lastSeen',
        ExpressionAttributeValues: {
          ':lastSeen': state.lastSeen,
          ':sessionId': state.sessionId,
          ':deviceId': state.deviceId,
          ':expiresAt': epochSeconds(Date.parse(state.lastSeen) + ttlMs),
        },
      }),
    );
  }

  async getDevice(projectId: string, deviceId: string): Promise<DeviceState | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: deviceStateKey(projectId, deviceId) }),
    );
    if (!Item) return undefined;
    return { deviceId: String(Item.deviceId), lastSeen: String(Item.lastSeen), sessionId: String(Item.sessionId) };
  }

  async putRejections(projectId: string, rows: readonly RejectedRow[], retentionDays: number): Promise<void> {
    const items = rows.map((row) => {
      const receivedMs = Date.parse(row.receivedAt);
      return {
        PutRequest: {
          Item: {
            ...rejectionItemKey(projectId, dayBucket(receivedMs), row.receivedAt, row.requestId, 'index' in row ? String(row.index).padStart(5, '0') : row.eventId),
            ...row,
            expiresAt: epochSeconds(receivedMs) + retentionDays * 86_400,
          },
        },
      };
    });
    for (let i = 0; i < items.length; i += 25) {
      let request: Record<string, (typeof items)[number][]> | undefined = { [this.tableName]: items.slice(i, i + 25) };
      for (let attempt = 0; request && Object.keys(request).length > 0 && attempt < 5; attempt++) {
        const result = await this.client.send(new BatchWriteCommand({ RequestItems: request }));
        request = result.UnprocessedItems as typeof request;
      }
    }
  }

  async listRejections(projectId: string, range: DayRange): Promise<{ rows: RejectedRow[]; nextCursor?: DayCursor }> {
    const bounds = sortKeyBounds(range);
    const { items, nextCursor } = await readDaysNewestFirst(range, async (day, remaining, after) => {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': rejectionPartition(projectId, day), ':from': bounds.from, ':to': bounds.to },
          ScanIndexForward: false,
          Limit: remaining,
          ExclusiveStartKey: after,
        }),
      );
      const rows = (result.Items ?? []).map(({ pk: _pk, sk: _sk, expiresAt: _expiresAt, ...row }) => row as RejectedRow);
      return { items: rows, ...(result.LastEvaluatedKey ? { lastKey: result.LastEvaluatedKey } : {}) };
    });
    return nextCursor ? { rows: items, nextCursor } : { rows: items };
  }

  /**
   * Counts one request in the project's current one-second window. Returns the seconds to wait
   * when the window is full, or 0 when the request may proceed. A limit of 0 turns limiting off.
   */
  async takeRateToken(projectId: string, limitPerSecond: number, nowMs = Date.now()): Promise<number> {
    if (limitPerSecond <= 0) return 0;
    const second = epochSeconds(nowMs);
    const { written } = await writeIfCondition(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `RATE#${projectId}`, sk: String(second) },
        UpdateExpression: 'ADD requests :one SET expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(requests) OR requests < :limit',
        ExpressionAttributeValues: { ':one': 1, ':limit': limitPerSecond, ':expiresAt': second + 60 },
      }),
    );
    return written ? 0 : 1;
  }

  /**
   * The salt of `day`: the one stored, or `candidate` when there is none yet. One UpdateItem with
   * `if_not_exists` makes every caller agree on the first salt written, with no read before.
   */
  async daySalt(day: string, candidate: string, expiresAtSeconds: number): Promise<string> {
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: deviceSaltKey(day),
        UpdateExpression: 'SET salt = if_not_exists(salt, :salt), expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ExpressionAttributeValues: { ':salt': candidate, ':expiresAt': expiresAtSeconds },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result.Attributes!.salt as string;
  }
}
