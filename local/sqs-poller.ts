/**
 * What Lambda's SQS FIFO event source mapping does, locally: receive up to `batchSize` messages,
 * invoke the handler, delete the successes, and make the reported failures visible again (or
 * all of them when the handler throws). fauxqs keeps the FIFO group locks and moves a message
 * to the DLQ after maxReceiveCount. The loop never lets an error escape.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { EventsQueue, ProcessFunction } from '../resources/index.js';
import { invoke, InvocationTimeoutError, type LambdaHandler } from './invoke.js';

export type SqsPollerOptions = {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: the return type of @types/aws-lambda's SQSHandler, which the functions implement
  readonly handler: LambdaHandler<SQSEvent, SQSBatchResponse | void>;
  /** Parallel pollers, like Lambda's concurrent invocations over different message groups. */
  readonly concurrency: number;
  /**
   * Seconds before a failed message is received again the first time, doubling with each receive.
   * Lambda leaves it invisible for the rest of the visibility timeout; locally a shorter wait keeps
   * retries and DLQ moves observable. It grows because a flat 1 s spent a message's 5 receives in
   * 5 s: a few seconds of throttling (the SDK's retry quota drained) sent healthy messages to the DLQ.
   */
  readonly failedVisibilitySeconds: number;
  readonly onError: (error: unknown) => void;
  /** Messages that failed, reported by the handler or with a failed invocation; SQS delivers them again. */
  readonly onFailedMessages?: (failed: readonly SQSRecord[], received: number) => void;
  /** Fault injection: runs between receive and invoke. */
  readonly beforeInvoke?: (records: readonly SQSRecord[]) => Promise<void>;
};

export function toSqsRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
      ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

/** Which receipt handles to delete after an invocation: only the successes, none when it threw. */
// biome-ignore lint/suspicious/noConfusingVoidType: what an SQSHandler may return (see `handler` above), or what it threw
export function settle(records: readonly SQSRecord[], response: SQSBatchResponse | void | Error) {
  if (response instanceof Error) return { succeeded: [], failed: [...records] };
  const failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  return {
    succeeded: records.filter((record) => !failedIds.has(record.messageId)),
    failed: records.filter((record) => failedIds.has(record.messageId)),
  };
}

export class SqsPoller {
  #running = false;
  readonly #loops: Promise<void>[] = [];

  constructor(private readonly options: SqsPollerOptions) {}

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    this.#running = true;
    for (let i = 0; i < this.options.concurrency; i++) this.#loops.push(this.#loop());
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      try {
        await this.#pollOnce();
      } catch (error) {
        this.options.onError(error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  async #pollOnce(): Promise<void> {
    const { client, queueUrl, queueArn } = this.options;
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: EventsQueue.batchSize,
        WaitTimeSeconds: 1,
        VisibilityTimeout: EventsQueue.visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return;
    const records = Messages.map((message) => toSqsRecord(message, queueArn));
    await this.options.beforeInvoke?.(records);
    const response = await invoke('process', this.options.handler, { Records: records }, ProcessFunction.timeoutSeconds).catch(
      async (error: unknown) => {
        this.options.onError(error);
        // A timed-out handler is still writing here (Lambda would have killed it): its messages must not
        // be handed to another poller until it has stopped, or the same message runs twice at once.
        if (error instanceof InvocationTimeoutError) await error.settled;
        return error instanceof Error ? error : new Error(String(error));
      },
    );
    const { succeeded, failed } = settle(records, response);
    if (succeeded.length > 0) {
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: succeeded.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle })),
        }),
      );
    }
    if (failed.length > 0) {
      this.options.onFailedMessages?.(failed, records.length);
      await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: failed.map((record, i) => ({
            Id: String(i),
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: Math.min(
              this.options.failedVisibilitySeconds * 2 ** ((Number(record.attributes.ApproximateReceiveCount) || 1) - 1),
              EventsQueue.visibilityTimeoutSeconds,
            ),
          })),
        }),
      );
    }
  }
}
