/**
 * Sends packed messages to the SQS FIFO queue with SendMessageBatch. Entries SQS failed for a
 * transient reason (or whole requests that failed so) are retried with backoff; what is still
 * unsent is returned with whether resending it can help, so the caller reports exactly those rows,
 * retryable or not.
 */
import { SendMessageBatchCommand, type BatchResultErrorEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { EventsQueue } from '../../resources/index.js';
import { batchRequests, type QueueMessage } from '../core/packing.js';
import type { EventQueue, UnsentMessage } from '../ingest/ports.js';

export type RetryPolicy = { readonly attempts: number; readonly baseDelayMs: number };

/** Told of every failed send attempt: the cause SQS gave (an entry's error code or the request error's name) and how many messages it hit. */
export type SendFailureReporter = (cause: string, messages: number) => void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Why an attempt failed, per message; a permanent failure is never attempted again. */
type Failure = { readonly retryable: boolean; readonly error: string };

/**
 * A failed batch entry is the sender's fault, and so permanent, when SQS says so
 * (BatchResultErrorEntry.SenderFault: "whether the error happened due to the caller",
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_BatchResultErrorEntry.html).
 */
const entryFailure = (entry: BatchResultErrorEntry): Failure => ({
  retryable: entry.SenderFault !== true,
  error: `${entry.Code ?? 'Unknown'}${entry.Message ? `: ${entry.Message}` : ''}`,
});

/**
 * A whole request that failed: the SDK marks throttling and other transient errors `$retryable`,
 * service errors are `$fault: 'server'`, and a network error has no `$fault`; only a client fault
 * the SDK would not retry (a malformed request) is permanent.
 */
function requestFailure(error: unknown): Failure {
  const e = error as { name?: string; message?: string; $fault?: string; $retryable?: unknown };
  const permanent = e?.$fault === 'client' && !e.$retryable;
  return { retryable: !permanent, error: `${e?.name ?? 'Error'}${e?.message ? `: ${e.message}` : ''}` };
}

export class SqsEventQueue implements EventQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly retry: RetryPolicy = { attempts: 4, baseDelayMs: 50 },
    private readonly reportFailure: SendFailureReporter = () => undefined,
  ) {}

  async send(messages: readonly QueueMessage[]): Promise<{ unsent: UnsentMessage[] }> {
    const requests = batchRequests(messages, EventsQueue.maxBatchEntries, EventsQueue.maxBatchRequestBytes);
    const unsent = await Promise.all(requests.map((request) => this.#sendWithRetry(request)));
    return { unsent: unsent.flat() };
  }

  async #sendWithRetry(request: QueueMessage[]): Promise<UnsentMessage[]> {
    const given: UnsentMessage[] = [];
    let pending = request.map((message) => ({ message, retryable: true, error: '' }));
    for (let attempt = 0; attempt < this.retry.attempts && pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(this.retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
      const failed = await this.#sendOnce(pending.map((unsent) => unsent.message));
      given.push(...failed.filter((unsent) => !unsent.retryable));
      pending = failed.filter((unsent) => unsent.retryable);
    }
    return [...given, ...pending];
  }

  /** Returns the messages that were not accepted, and why. */
  async #sendOnce(messages: QueueMessage[]): Promise<UnsentMessage[]> {
    try {
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: messages.map((message, i) => ({
            Id: String(i),
            MessageBody: message.body,
            MessageGroupId: message.groupId,
            MessageDeduplicationId: message.deduplicationId,
          })),
        }),
      );
      const failedEntries = result.Failed ?? [];
      const byCause = new Map<string, number>();
      for (const entry of failedEntries) byCause.set(entry.Code ?? 'Unknown', (byCause.get(entry.Code ?? 'Unknown') ?? 0) + 1);
      for (const [cause, count] of byCause) this.reportFailure(cause, count);
      return failedEntries.flatMap((entry) => {
        const message = messages[Number(entry.Id)];
        return message ? [{ message, ...entryFailure(entry) }] : [];
      });
    } catch (error) {
      this.reportFailure((error as Error)?.name || 'Error', messages.length);
      const failure = requestFailure(error);
      return messages.map((message) => ({ message, ...failure }));
    }
  }
}
