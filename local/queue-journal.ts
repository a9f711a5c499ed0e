/**
 * Keeps the local queues on disk. fauxqs holds its queues in memory, so without this a restart
 * would lose every accepted event not yet processed, and everything in the DLQ.
 *
 * Two files in the data directory:
 * - `queue-accepted.ndjson`, a write-ahead log: every message SQS accepted for the ingest function
 *   is appended (synchronously, before the client gets its 202) as soon as SendMessageBatch returns.
 * - `queue-snapshot.json`: every 2 s or more (spaced so snapshots take at most ~5% of the runtime's
 *   time: a 20,000-event backlog took ~0.3-1 s to write on a loaded machine), and at stop, what both
 *   queues hold (ready, delayed and in flight), read without receiving anything. The log is first
 *   moved aside (`.prev`), so appends go on into a new one; every message of the old log was in a
 *   queue before the read began, so once the snapshot is renamed into place the old log is deleted.
 *
 * At start both are read and their messages sent back to the queues they were in (same message
 * group and deduplication id, in their original order). A message can come back twice (it was in
 * flight, or processed after the last snapshot): the processor stores and counts by event id, so a
 * repeat is a duplicate, never a second count.
 *
 * What a `kill -9` can lose: nothing accepted. It can undo the last few seconds of queue changes:
 * processed messages come back as duplicates, a message that just moved to the DLQ goes back to the
 * events queue (and to the DLQ again after its receives), and a redrive's messages may be in both.
 * Appends are not fsynced: a power cut can lose what the operating system had not yet written.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { MiddlewareStack } from '@smithy/types';
import type { QueueInspector } from './engines.js';
import type { LocalQueues } from './provision.js';
import { LocalRuntime } from '../resources/index.js';

export type JournaledMessage = {
  readonly messageId: string;
  readonly body: string;
  readonly groupId?: string;
  readonly deduplicationId?: string;
};
type Snapshot = { readonly events: JournaledMessage[]; readonly deadLetters: JournaledMessage[] };

const LOG_FILE = 'queue-accepted.ndjson';
const SNAPSHOT_FILE = 'queue-snapshot.json';
/** A snapshot costs time in proportion to the backlog; spacing them by this multiple of the last one's cost caps it at ~5% of the runtime's time. */
const SNAPSHOT_COST_SHARE = 20;

export class QueueJournal {
  readonly #log: string;
  readonly #snapshot: string;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #lastWasEmpty = false;

  constructor(
    dataDir: string,
    private readonly queues: LocalQueues,
    private readonly inspect: QueueInspector,
  ) {
    this.#log = join(dataDir, LOG_FILE);
    this.#snapshot = join(dataDir, SNAPSHOT_FILE);
  }

  /** Sends what the last run left back to its queues; returns how many messages went to each. */
  async restore(client: SQSClient): Promise<{ events: number; deadLetters: number }> {
    const saved = this.#read();
    await sendAll(client, this.queues.queueUrl, saved.events);
    await sendAll(client, this.queues.dlqUrl, saved.deadLetters);
    await this.snapshot();
    // Nothing is accepted while restoring: the snapshot just written holds every message the logs named.
    rmSync(this.#log, { force: true });
    rmSync(`${this.#log}.prev`, { force: true });
    return { events: saved.events.length, deadLetters: saved.deadLetters.length };
  }

  /** Logs each message that `client` (the ingest function's) gets SQS to accept on the events queue. */
  recordSends(client: SQSClient): void {
    (client.middlewareStack as MiddlewareStack<object, object>).add(
      (next, context) => async (args) => {
        const result = await next(args);
        const input = (args as { input?: { QueueUrl?: string; Entries?: SendMessageBatchRequestEntry[] } }).input;
        if (context.commandName !== 'SendMessageBatchCommand' || input?.QueueUrl !== this.queues.queueUrl) return result;
        const entries = new Map((input.Entries ?? []).map((entry) => [entry.Id, entry]));
        const accepted = ((result.output as { Successful?: { Id?: string; MessageId?: string }[] }).Successful ?? []).flatMap(
          ({ Id, MessageId }) => {
            const entry = entries.get(Id);
            return entry && MessageId
              ? [JSON.stringify(journaled(MessageId, entry.MessageBody ?? '', entry.MessageGroupId, entry.MessageDeduplicationId))]
              : [];
          },
        );
        if (accepted.length > 0) appendFileSync(this.#log, `${accepted.join('\n')}\n`);
        return result;
      },
      { step: 'initialize', name: 'tidemarkQueueJournal' },
    );
  }

  start(): void {
    const next = (afterMs: number) => {
      this.#timer = setTimeout(() => {
        const started = performance.now();
        this.#running = this.snapshot()
          .catch(() => undefined)
          .then(() => next(Math.max(LocalRuntime.queueSnapshotEveryMs, SNAPSHOT_COST_SHARE * (performance.now() - started))));
      }, afterMs);
      this.#timer.unref();
    };
    next(LocalRuntime.queueSnapshotEveryMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#running;
    clearTimeout(this.#timer);
    await this.snapshot();
  }

  /** Messages the events queue holds now, ready, delayed or in flight. */
  async pending(): Promise<number> {
    return (await this.#messagesIn(this.queues.queueUrl)).length;
  }

  async snapshot(): Promise<void> {
    const previous = `${this.#log}.prev`;
    // Appends from here on go to a new log; the old one is covered by the read below.
    if (this.#logHasEntries() && !existsSync(previous)) renameSync(this.#log, previous);
    const snapshot: Snapshot = {
      events: await this.#messagesIn(this.queues.queueUrl),
      deadLetters: await this.#messagesIn(this.queues.dlqUrl),
    };
    const empty = snapshot.events.length === 0 && snapshot.deadLetters.length === 0;
    // An idle runtime rewrites nothing.
    if (empty && this.#lastWasEmpty && !existsSync(previous)) return;
    this.#lastWasEmpty = empty;
    writeFileSync(`${this.#snapshot}.tmp`, JSON.stringify(snapshot));
    renameSync(`${this.#snapshot}.tmp`, this.#snapshot);
    rmSync(previous, { force: true });
  }

  async #messagesIn(queueUrl: string): Promise<JournaledMessage[]> {
    const found = await this.inspect(queueNameOf(queueUrl));
    if (!found) return [];
    const { ready, delayed, inflight } = found.messages;
    return [...inflight.map((entry) => entry.message), ...ready, ...delayed]
      .sort((a, b) => compareSequence(a.sequenceNumber, b.sequenceNumber) || a.sentTimestamp - b.sentTimestamp)
      .map((message) => journaled(message.messageId, message.body, message.messageGroupId, message.messageDeduplicationId));
  }

  #logHasEntries(): boolean {
    return existsSync(this.#log) && statSync(this.#log).size > 0;
  }

  #read(): Snapshot {
    const snapshot: Snapshot = existsSync(this.#snapshot)
      ? JSON.parse(readFileSync(this.#snapshot, 'utf8'))
      : { events: [], deadLetters: [] };
    const known = new Set([...snapshot.events, ...snapshot.deadLetters].map((message) => message.messageId));
    // A `.prev` log is left only by a stop during a snapshot: it is older than the current one.
    const logged = [`${this.#log}.prev`, this.#log].flatMap((file) =>
      existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            // A process killed mid-append leaves a torn last line: that message's 202 was never sent.
            .flatMap((line) => {
              try {
                return line ? [JSON.parse(line) as JournaledMessage] : [];
              } catch {
                return [];
              }
            })
        : [],
    );
    return {
      events: [...snapshot.events, ...logged.filter((message) => !known.has(message.messageId))],
      deadLetters: snapshot.deadLetters,
    };
  }
}

function journaled(messageId: string, body: string, groupId: string | undefined, deduplicationId: string | undefined): JournaledMessage {
  return { messageId, body, ...(groupId ? { groupId } : {}), ...(deduplicationId ? { deduplicationId } : {}) };
}

const queueNameOf = (queueUrl: string) => queueUrl.slice(queueUrl.lastIndexOf('/') + 1);

function compareSequence(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return 0;
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

async function sendAll(client: SQSClient, queueUrl: string, messages: JournaledMessage[]): Promise<void> {
  // SendMessageBatch takes at most 10 entries; sent in order, so each message group keeps its order.
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const { Failed = [] } = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((message, j) => ({
          Id: String(j),
          MessageBody: message.body,
          MessageGroupId: message.groupId ?? 'restored',
          MessageDeduplicationId: message.deduplicationId ?? message.messageId,
        })),
      }),
    );
    if (Failed.length > 0)
      throw new Error(`could not restore ${Failed.length} journaled messages: ${Failed[0]?.Message ?? 'unknown error'}`);
  }
}
