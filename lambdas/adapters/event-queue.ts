/**
 * Sends packed messages to the SQS FIFO queue with SendMessageBatch. Entries SQS reports as failed
 * (or whole requests that fail) are retried with backoff; what is still unsent is returned, so the
 * caller can report exactly those rows as retryable.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { EventsQueue } from '../../resources/index.js';
import { batchRequests, type QueueMessage } from '../core/packing.js';

export interface EventQueue {
  send(messages: readonly QueueMessage[]): Promise<{ unsent: QueueMessage[] }>;
}

export type RetryPolicy = { readonly attempts: number; readonly baseDelayMs: number };

/** Told of every failed send attempt: the cause SQS gave (an entry's error code or the request error's name) and how many messages it hit. */
export type SendFailureReporter = (cause: string, messages: number) => void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SqsEventQueue implements EventQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly retry: RetryPolicy = { attempts: 4, baseDelayMs: 50 },
    private readonly reportFailure: SendFailureReporter = () => undefined,
  ) {}

  async send(messages: readonly QueueMessage[]): Promise<{ unsent: QueueMessage[] }> {
    const requests = batchRequests(messages, EventsQueue.maxBatchEntries, EventsQueue.maxBatchRequestBytes);
    const unsent = await Promise.all(requests.map((request) => this.#sendWithRetry(request)));
    return { unsent: unsent.flat() };
  }

  async #sendWithRetry(request: QueueMessage[]): Promise<QueueMessage[]> {
    let pending = request;
    for (let attempt = 0; attempt < this.retry.attempts && pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(this.retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
      pending = await this.#sendOnce(pending);
    }
    return pending;
  }

  /** Returns the messages that were not accepted. */
  async #sendOnce(messages: QueueMessage[]): Promise<QueueMessage[]> {
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
      const failed = new Set(failedEntries.map((entry) => Number(entry.Id)));
      return messages.filter((_, i) => failed.has(i));
    } catch (error) {
      this.reportFailure((error as Error)?.name || 'Error', messages.length);
      return messages;
    }
  }
}
