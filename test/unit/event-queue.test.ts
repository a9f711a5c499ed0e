/**
 * Which SQS failures a client may resend: a stub client injects the failures fauxqs cannot be made
 * to produce on demand (a sender fault on one entry, a non-retryable client fault, a throttle).
 */
import type { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { SqsEventQueue } from '../../lambdas/adapters/event-queue.js';
import type { QueueMessage } from '../../lambdas/core/packing.js';

const message = (i: number): QueueMessage => ({ groupId: `p#d${i}`, deduplicationId: String(i), body: `{"n":${i}}`, rowIndexes: [i] });

/** A client whose answer to each SendMessageBatch attempt is given in order; it counts the attempts. */
function stubClient(answers: ((entries: { Id?: string }[]) => unknown)[]) {
  let attempts = 0;
  const client = {
    send: async (command: SendMessageBatchCommand) => {
      const answer = answers[Math.min(attempts++, answers.length - 1)]!;
      return answer(command.input.Entries ?? []);
    },
  } as unknown as SQSClient;
  return { client, attempts: () => attempts };
}

const fast = { attempts: 4, baseDelayMs: 1 };

describe('SqsEventQueue', () => {
  it('reports an entry SQS blames on the sender as not retryable, without retrying it', async () => {
    const { client, attempts } = stubClient([
      () => ({ Successful: [{ Id: '1' }], Failed: [{ Id: '0', SenderFault: true, Code: 'InvalidMessageContents', Message: 'bad char' }] }),
    ]);
    const { unsent } = await new SqsEventQueue(client, 'q', fast).send([message(0), message(1)]);
    expect(unsent).toEqual([{ message: message(0), retryable: false, error: 'InvalidMessageContents: bad char' }]);
    expect(attempts()).toBe(1);
  });

  it('retries a transient entry failure and reports it retryable only when it never goes through', async () => {
    const transient = (entries: { Id?: string }[]) => ({
      Failed: entries.map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError' })),
    });
    const stuck = stubClient([transient]);
    expect((await new SqsEventQueue(stuck.client, 'q', fast).send([message(0)])).unsent).toEqual([
      { message: message(0), retryable: true, error: 'InternalError' },
    ]);
    expect(stuck.attempts()).toBe(4);
    const recovers = stubClient([transient, () => ({ Successful: [{ Id: '0' }] })]);
    expect((await new SqsEventQueue(recovers.client, 'q', fast).send([message(0)])).unsent).toEqual([]);
  });

  it('treats throttling, server faults and network errors as transient, and a client fault as permanent', async () => {
    const thrown = (error: object) => () => {
      throw Object.assign(new Error('failed'), error);
    };
    const cases: [object, boolean][] = [
      [{ name: 'RequestThrottled', $fault: 'client', $retryable: { throttling: true } }, true],
      [{ name: 'InternalError', $fault: 'server' }, true],
      [{ name: 'ECONNRESET' }, true],
      [{ name: 'InvalidParameterValue', $fault: 'client' }, false],
    ];
    for (const [error, retryable] of cases) {
      const { unsent } = await new SqsEventQueue(stubClient([thrown(error)]).client, 'q', fast).send([message(0)]);
      expect(unsent).toMatchObject([{ retryable }]);
    }
  });
});
