import { describe, expect, it } from 'vitest';
import { batchRequests, messageGroupId, packMessages, parseMessageBody } from '../../lambdas/core/packing.js';
import type { NormalizedEvent } from '../../lambdas/core/types.js';

const event = (deviceId: string, i: number, pad = 0): NormalizedEvent => ({
  eventId: `${deviceId}-${i}`,
  event: 'e',
  deviceId,
  timestamp: '2024-01-01T00:00:00.000Z',
  originalTimestamp: '2024-01-01T00:00:00.000Z',
  receivedAt: '2024-01-01T00:00:00.000Z',
  properties: pad > 0 ? { pad: 'x'.repeat(pad) } : {},
});

describe('packMessages', () => {
  it('packs many rows of one device into one message, one group per device, in request order', () => {
    const rows = [0, 1, 2].flatMap((i) => [
      { index: i * 2, event: event('a', i) },
      { index: i * 2 + 1, event: event('b', i) },
    ]);
    const messages = packMessages('p', rows, 256 * 1024);
    expect(messages).toHaveLength(2);
    expect(messages.map((m) => m.groupId)).toEqual(['p#a', 'p#b']);
    expect(messages[0]!.rowIndexes).toEqual([0, 2, 4]);
    const body = parseMessageBody(messages[0]!.body);
    expect(body.projectId).toBe('p');
    expect(body.events.map((e) => e.eventId)).toEqual(['a-0', 'a-1', 'a-2']);
  });

  it('never exceeds the message size and loses no row', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ index: i, event: event('a', i, 10_000) }));
    const messages = packMessages('p', rows, 256 * 1024);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(Buffer.byteLength(m.body)).toBeLessThanOrEqual(256 * 1024);
    expect(messages.flatMap((m) => m.rowIndexes)).toEqual(rows.map((r) => r.index));
  });

  it('gives the same rows the same deduplication id, and other rows another', () => {
    const rows = [{ index: 0, event: event('a', 0) }];
    expect(packMessages('p', rows, 1e6)[0]!.deduplicationId).toBe(packMessages('p', rows, 1e6)[0]!.deduplicationId);
    expect(packMessages('p', [{ index: 0, event: event('a', 1) }], 1e6)[0]!.deduplicationId).not.toBe(
      packMessages('p', rows, 1e6)[0]!.deduplicationId,
    );
  });

  it('gives a row reusing an id with other content another deduplication id, so SQS does not drop a conflict', () => {
    const dedup = (fingerprint: string) =>
      packMessages('p', [{ index: 0, event: { ...event('a', 0), fingerprint } }], 1e6)[0]!.deduplicationId;
    expect(dedup('f1')).toBe(dedup('f1'));
    expect(dedup('f2')).not.toBe(dedup('f1'));
  });

  it('hashes device ids that SQS would not accept as a group id', () => {
    expect(messageGroupId('p', 'ok-device')).toBe('p#ok-device');
    for (const id of ['has space', 'ünïcode', 'x'.repeat(200)]) {
      expect(messageGroupId('p', id)).toMatch(/^p#~[0-9a-f]{48}$/);
    }
  });

  it('never lets a device id name another project’s group', () => {
    expect(messageGroupId('demo', 'b#x')).not.toBe(messageGroupId('demo#b', 'x'));
    expect(messageGroupId('demo', 'b#x')).toBe('demo#b%23x');
  });

  it('escapes what SQS refuses in a body and keeps the event exactly as sent', () => {
    const hostile = { ...event('dev\uffff', 0), event: 'e\ufffe', properties: { note: 'x\uffff\u0001\ud800y' } };
    const [message] = packMessages('p', [{ index: 0, event: hostile }], 1e6);
    expect(message!.body).not.toMatch(/[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u);
    expect(parseMessageBody(message!.body).events[0]).toEqual(hostile);
  });
});

describe('batchRequests', () => {
  it('keeps each request within 10 entries and the byte limit', () => {
    const messages = Array.from({ length: 25 }, (_, i) => ({
      groupId: 'g',
      deduplicationId: String(i),
      body: 'x'.repeat(300),
      rowIndexes: [i],
    }));
    expect(batchRequests(messages, 10, 1e6).map((r) => r.length)).toEqual([10, 10, 5]);
    expect(batchRequests(messages, 10, 1000).map((r) => r.length)).toEqual(Array(8).fill(3).concat([1]));
  });
});
