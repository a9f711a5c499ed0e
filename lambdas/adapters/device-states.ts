/** Devices' live state in the StateTable: where and when each device was last seen, moved forward only. */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeviceState } from '../../resources/api-answers.js';
import { deviceStateKey } from '../core/item-keys.js';
import { epochSeconds } from '../core/timestamps.js';
import type { DeviceReader } from '../query/ports.js';
import { writeIfCondition } from './conditional-write.js';

export class DynamoDeviceStates implements DeviceReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

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
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: deviceStateKey(projectId, deviceId) }));
    if (!Item) return undefined;
    return { deviceId: String(Item.deviceId), lastSeen: String(Item.lastSeen), sessionId: String(Item.sessionId) };
  }
}
