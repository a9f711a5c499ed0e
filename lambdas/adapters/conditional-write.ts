/**
 * The one way Tidemark sends a conditional write. DynamoDB refuses a write whose condition is false
 * with ConditionalCheckFailedException (and, when asked with `ReturnValuesOnConditionCheckFailure:
 * 'ALL_OLD'`, the item it found: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html);
 * that refusal is an answer, not a failure, so it comes back as `written: false`. Anything else throws.
 */
import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient, type UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** `existing`: the item the condition was checked against, in DynamoDB's wire format (the document client does not unmarshall errors). */
export type ConditionalWrite = { readonly written: true } | { readonly written: false; readonly existing?: Record<string, AttributeValue> };

export async function writeIfCondition(client: DynamoDBDocumentClient, command: PutCommand | UpdateCommand): Promise<ConditionalWrite> {
  try {
    // Two calls because `send` is typed per command.
    await (command instanceof PutCommand ? client.send(command) : client.send(command));
    return { written: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return error.Item ? { written: false, existing: error.Item } : { written: false };
  }
}
