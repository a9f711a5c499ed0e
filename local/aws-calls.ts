/**
 * Counts the AWS requests the handlers make, per service and operation, the DynamoDB capacity they
 * consume (asked for on every request), and SQS payload in 64 KB billing units: what the tests read
 * to check packing, and the raw material of the cost model.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { MiddlewareStack } from '@smithy/types';

export type CallCounts = {
  readonly requests: Record<string, number>;
  /** SQS bills each 64 KB chunk of a request's payload as one request. */
  sqsBilledRequests: number;
  /** Write request units, table and indexes; transactional writes at AWS's double rate. */
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
};

const SQS_CHUNK = 64 * 1024;
const DYNAMO_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
type Capacity = { CapacityUnits?: number; WriteCapacityUnits?: number; ReadCapacityUnits?: number };

export class AwsCallCounter {
  readonly counts: CallCounts = { requests: {}, sqsBilledRequests: 0, dynamoWriteUnits: 0, dynamoReadUnits: 0 };

  attach(client: DynamoDBDocumentClient | SQSClient, service: 'dynamodb' | 'sqs'): void {
    (client.middlewareStack as MiddlewareStack<object, object>).add(
      (next, context) => async (args) => {
        const command = String(context.commandName).replace(/Command$/, '');
        const operation = `${service}.${command}`;
        this.counts.requests[operation] = (this.counts.requests[operation] ?? 0) + 1;
        const input = (args as { input?: Record<string, unknown> }).input ?? {};
        if (service === 'sqs') {
          this.counts.sqsBilledRequests += Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(input)) / SQS_CHUNK));
          return next(args);
        }
        try {
          const result = await next({ ...args, input: { ...input, ReturnConsumedCapacity: 'INDEXES' } });
          this.#add(command, (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity);
          return result;
        } catch (error) {
          // A failed conditional write is billed at least one unit, and its response carries no capacity.
          if ((error as Error).name === 'ConditionalCheckFailedException') this.#add(command, { CapacityUnits: 1 });
          throw error;
        }
      },
      { step: 'initialize', name: `tidemarkCount-${service}` },
    );
  }

  #add(command: string, consumed: Capacity | Capacity[] | undefined): void {
    const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
    if (!DYNAMO_WRITES.has(command)) {
      this.counts.dynamoReadUnits += units;
      return;
    }
    // DynamoDB Local reports transactional writes at the standard rate; AWS bills them double.
    this.counts.dynamoWriteUnits += command === 'TransactWriteItems' ? 2 * units : units;
  }
}
