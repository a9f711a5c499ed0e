/** The daily secret salt of anonymous device ids (core/anonymous-device.ts), one item a day in the StateTable. */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deviceSaltKey } from '../core/item-keys.js';

export class DynamoDaySalts {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

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
