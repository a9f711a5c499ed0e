/**
 * Counts the AWS requests the handlers make, per service and operation, the DynamoDB capacity they
 * consume (asked for on every request), and SQS payload in 64 KB billing units: what the tests read
 * to check packing, and the raw material of the cost model.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { MiddlewareStack } from '@smithy/types';
import { HotKeyMeter } from './hot-key-meter.js';

export type CallCounts = {
  readonly requests: Record<string, number>;
  /** SQS bills each 64 KB chunk of a request's payload as one request; receives that found nothing are counted apart. */
  sqsBilledRequests: number;
  /** Empty long-poll receives: a fixed cost of having a poller at all (Lambda's pollers make them too), not a cost per event. */
  sqsIdleReceives: number;
  /** Write request units, table and indexes; transactional writes at AWS's double rate. */
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  /** Write units per operation and table, to see where the units go. */
  readonly writeUnitsBy: Record<string, number>;
};

const SQS_CHUNK = 64 * 1024;
const DYNAMO_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
type Capacity = { CapacityUnits?: number; WriteCapacityUnits?: number; ReadCapacityUnits?: number };

let counters = 0;

const unitsOf = (consumed: Capacity | Capacity[] | undefined): number =>
  (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);

export class AwsCallCounter {
  /** Units per partition key per second (local/hot-key-meter.ts), when asked for. */
  readonly hotKeys: HotKeyMeter | undefined;

  constructor(options: { readonly meterHotKeys?: boolean } = {}) {
    this.hotKeys = options.meterHotKeys ? new HotKeyMeter() : undefined;
  }
  /** Middleware names are unique per client: several counters may watch one client. */
  readonly #name = `tidemarkCount${++counters}`;
  readonly counts: CallCounts = {
    requests: {},
    sqsBilledRequests: 0,
    sqsIdleReceives: 0,
    dynamoWriteUnits: 0,
    dynamoReadUnits: 0,
    writeUnitsBy: {},
  };

  attach(client: DynamoDBDocumentClient | SQSClient, service: 'dynamodb' | 'sqs'): void {
    (client.middlewareStack as MiddlewareStack<object, object>).add(
      (next, context) => async (args) => {
        const command = String(context.commandName).replace(/Command$/, '');
        const operation = `${service}.${command}`;
        this.counts.requests[operation] = (this.counts.requests[operation] ?? 0) + 1;
        const input = (args as { input?: Record<string, unknown> }).input ?? {};
        if (service === 'sqs') {
          const result = await next(args);
          if (command === 'ReceiveMessage' && ((result.output as { Messages?: unknown[] }).Messages ?? []).length === 0) {
            this.counts.sqsIdleReceives++;
          } else {
            // A send is billed by what it carries in, a receive by what it carries out.
            const payload = command === 'ReceiveMessage' ? result.output : input;
            this.counts.sqsBilledRequests += Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(payload)) / SQS_CHUNK));
          }
          return result;
        }
        try {
          const result = await next({ ...args, input: { ...input, ReturnConsumedCapacity: 'INDEXES' } });
          const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
          this.#add(command, consumed, input.TableName ?? input.TransactItems);
          this.hotKeys?.record(command, input, unitsOf(consumed));
          return result;
        } catch (error) {
          // A failed conditional write is billed at least one unit, and its response carries no capacity.
          if ((error as Error).name === 'ConditionalCheckFailedException') {
            this.#add(command, { CapacityUnits: 1 }, input.TableName);
            this.hotKeys?.record(command, input, 0, true);
          }
          throw error;
        }
      },
      { step: 'initialize', name: `${this.#name}-${service}` },
    );
  }

  #add(command: string, consumed: Capacity | Capacity[] | undefined, table: unknown): void {
    const units = unitsOf(consumed);
    if (!DYNAMO_WRITES.has(command)) {
      this.counts.dynamoReadUnits += units;
      return;
    }
    // DynamoDB Local reports transactional writes at the standard rate; AWS bills them double.
    const billed = command === 'TransactWriteItems' ? 2 * units : units;
    this.counts.dynamoWriteUnits += billed;
    const where = `${command} ${typeof table === 'string' ? table.replace(/^tidemark-/, '') : 'transaction'}`;
    this.counts.writeUnitsBy[where] = (this.counts.writeUnitsBy[where] ?? 0) + billed;
  }
}
