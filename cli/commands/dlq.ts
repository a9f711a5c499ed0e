/**
 * The events DLQ: look at what is there, and send it back to the events queue to be processed
 * again (same message group, so a device's order holds; a fresh deduplication id, so SQS does
 * not drop it as a repeat of the original).
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import type { Target } from '../target.js';

export type DlqMessage = { messageId: string; groupId?: string; receiveCount?: string; body: string };

/**
 * How many messages the DLQ holds, from its attributes alone: no receive, so nothing is hidden
 * behind a visibility timeout and asking twice says the same number. Visible, in flight (someone
 * else is receiving them) and delayed messages all count. Messages are looked at only when asked
 * (`peek`): a look is a receive, which SQS counts and which hides them from other readers meanwhile.
 */
export async function inspectDlq(target: Target, peek = 0): Promise<{ count: number; messages: DlqMessage[] }> {
  const { Attributes = {} } = await target.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: target.deadLetterQueueUrl, AttributeNames: [...COUNT_ATTRIBUTES] }),
  );
  const count = COUNT_ATTRIBUTES.reduce((sum, name) => sum + Number(Attributes[name] ?? 0), 0);
  if (peek <= 0) return { count, messages: [] };
  const { Messages = [] } = await target.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: target.deadLetterQueueUrl,
      MaxNumberOfMessages: Math.min(10, peek),
      // Visible again at once: a look, not a take.
      VisibilityTimeout: 0,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return { count, messages: Messages.map(describe) };
}

const COUNT_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const;

export async function redriveDlq(target: Target, onProgress: (moved: number) => void = () => undefined): Promise<number> {
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await target.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: target.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return moved;
    const stamp = Date.now().toString(36);
    const sent = await target.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: target.eventsQueueUrl,
        Entries: Messages.map((message, i) => ({
          Id: String(i),
          MessageBody: message.Body ?? '',
          MessageGroupId: message.Attributes?.MessageGroupId ?? 'redriven',
          MessageDeduplicationId: `${(message.Attributes?.MessageDeduplicationId ?? message.MessageId ?? '').slice(0, 100)}-r${stamp}`,
        })),
      }),
    );
    const failed = new Set((sent.Failed ?? []).map((entry) => Number(entry.Id)));
    const done = Messages.filter((_, i) => !failed.has(i));
    if (done.length > 0) {
      await target.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: target.deadLetterQueueUrl,
          Entries: done.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
    }
    moved += done.length;
    onProgress(moved);
    if (failed.size > 0) throw new Error(`${failed.size} messages could not be sent back; they stay in the DLQ.`);
  }
}

function describe(message: Message): DlqMessage {
  const described: DlqMessage = { messageId: message.MessageId ?? '', body: (message.Body ?? '').slice(0, 200) };
  if (message.Attributes?.MessageGroupId) described.groupId = message.Attributes.MessageGroupId;
  if (message.Attributes?.ApproximateReceiveCount) described.receiveCount = message.Attributes.ApproximateReceiveCount;
  return described;
}
