/**
 * Packs accepted rows into SQS FIFO messages: one message group per device (so a device's events
 * are processed in order), as many rows per message as fit, and deterministic deduplication ids so
 * a resent request within SQS's 5-minute window is dropped by SQS itself.
 */
import { sha256Hex } from './event-id.js';
import { joinKey, keyPart } from './item-keys.js';
import { escapeForSqs } from './sqs-text.js';
import type { NormalizedEvent } from './types.js';

export type EventMessageBody = {
  readonly projectId: string;
  readonly deviceId: string;
  readonly events: readonly NormalizedEvent[];
};

export type QueueMessage = {
  readonly groupId: string;
  readonly deduplicationId: string;
  readonly body: string;
  /** Request row indexes carried by this message, to report the right rows if it cannot be sent. */
  readonly rowIndexes: readonly number[];
};

/** An accepted row; `json` is the event's JSON when the caller has it already, and `bytes` its UTF-8 length. */
export type AcceptedRow = { readonly index: number; readonly event: NormalizedEvent; readonly json?: string; readonly bytes?: number };

/** SQS allows 128 characters of alphanumerics and ASCII punctuation in a group id. */
const GROUP_ID_SAFE = /^[\x21-\x7e]{1,128}$/;

/** One group per device of a project; the device is a key part, so no device id can name another project's group. */
export function messageGroupId(projectId: string, deviceId: string): string {
  const plain = joinKey(projectId, keyPart(deviceId));
  return GROUP_ID_SAFE.test(plain) ? plain : joinKey(projectId, `~${sha256Hex(deviceId).slice(0, 48)}`);
}

export function packMessages(projectId: string, rows: readonly AcceptedRow[], maxMessageBytes: number): QueueMessage[] {
  const byDevice = new Map<string, AcceptedRow[]>();
  for (const row of rows) {
    const list = byDevice.get(row.event.deviceId);
    if (list) list.push(row);
    else byDevice.set(row.event.deviceId, [row]);
  }
  const messages: QueueMessage[] = [];
  for (const [deviceId, deviceRows] of byDevice) {
    const head = escapeForSqs(`{"projectId":${JSON.stringify(projectId)},"deviceId":${JSON.stringify(deviceId)},"events":[`);
    const overhead = Buffer.byteLength(head) + 2;
    let parts: string[] = [];
    let indexes: number[] = [];
    let ids: string[] = [];
    let size = overhead;
    const flush = () => {
      if (parts.length === 0) return;
      messages.push({
        groupId: messageGroupId(projectId, deviceId),
        deduplicationId: sha256Hex(ids.join('\n')),
        body: `${head}${parts.join(',')}]}`,
        rowIndexes: indexes,
      });
      parts = [];
      indexes = [];
      ids = [];
      size = overhead;
    };
    for (const row of deviceRows) {
      const given = row.json ?? JSON.stringify(row.event);
      const json = escapeForSqs(given);
      const bytes = (json === given && row.bytes !== undefined ? row.bytes : Buffer.byteLength(json)) + 1;
      if (size + bytes > maxMessageBytes) flush();
      parts.push(json);
      indexes.push(row.index);
      // The content's fingerprint too: a row reusing an id with other content must reach the
      // processor, which keeps it as a `conflict`, rather than be dropped by SQS as a resend.
      ids.push(`${row.event.eventId}\n${row.event.fingerprint ?? ''}`);
      size += bytes;
    }
    flush();
  }
  return messages;
}

/** Groups messages into SendMessageBatch requests within the entry count and total size limits. */
export function batchRequests(messages: readonly QueueMessage[], maxEntries: number, maxRequestBytes: number): QueueMessage[][] {
  const requests: QueueMessage[][] = [];
  let current: QueueMessage[] = [];
  let size = 0;
  for (const message of messages) {
    const bytes = Buffer.byteLength(message.body);
    if (current.length > 0 && (current.length === maxEntries || size + bytes > maxRequestBytes)) {
      requests.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += bytes;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

export function parseMessageBody(body: string): EventMessageBody {
  const parsed = JSON.parse(body) as EventMessageBody;
  if (typeof parsed?.projectId !== 'string' || !Array.isArray(parsed.events)) {
    throw new Error('message body is not an event message');
  }
  return parsed;
}
