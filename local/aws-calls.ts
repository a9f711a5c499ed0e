/**
 * Counts the AWS requests the handlers make, per service and operation, and SQS payload in 64 KB
 * billing units: what the tests read to check packing, and the raw material of the cost model.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { MiddlewareStack } from '@smithy/types';

export type CallCounts = {
  readonly requests: Record<string, number>;
  /** SQS bills each 64 KB chunk of a request's payload as one request. */
  sqsBilledRequests: number;
};

const SQS_CHUNK = 64 * 1024;

export class AwsCallCounter {
  readonly counts: CallCounts = { requests: {}, sqsBilledRequests: 0 };

  attach(client: DynamoDBDocumentClient | SQSClient, service: 'dynamodb' | 'sqs'): void {
    (client.middlewareStack as MiddlewareStack<object, object>).add(
      (next, context) => async (args) => {
        const operation = `${service}.${String(context.commandName).replace(/Command$/, '')}`;
        this.counts.requests[operation] = (this.counts.requests[operation] ?? 0) + 1;
        if (service === 'sqs') {
          const bytes = Buffer.byteLength(JSON.stringify((args as { input?: unknown }).input ?? {}));
          this.counts.sqsBilledRequests += Math.max(1, Math.ceil(bytes / SQS_CHUNK));
        }
        return next(args);
      },
      { step: 'initialize', name: `tidemarkCount-${service}` },
    );
  }
}
