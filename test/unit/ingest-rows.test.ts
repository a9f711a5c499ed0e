/** The ingest use case with an in-memory queue: what a client is told about every row, and what is kept. */
import { describe, expect, it } from 'vitest';
import type { RejectedRowRecord } from '../../lambdas/core/lake-rows.js';
import { openPanelTranslator } from '../../lambdas/core/openpanel.js';
import { parseMessageBody } from '../../lambdas/core/packing.js';
import { ingestRows, type IngestRequest } from '../../lambdas/ingest/ingest.js';
import { ProjectCapDefaults } from '../../resources/index.js';
import { RECEIVED_AT } from '../helpers/factories.js';
import { memoryIngestPorts, MemoryEventQueue } from '../helpers/fakes.js';

const request = (rows: readonly unknown[], overrides: Partial<IngestRequest> = {}): IngestRequest => ({
  projectId: 'p',
  caps: ProjectCapDefaults,
  requestId: 'r',
  mode: 'batch',
  rows,
  receivedAt: RECEIVED_AT,
  validateOnly: false,
  ...overrides,
});
const rowOf = (deviceId: string) => ({ event: 'e', deviceId, timestamp: new Date(RECEIVED_AT).toISOString() });

describe('ingestRows', () => {
  it('returns the rows of unsent messages as retryable, and rows the queue refused for good as not retryable', async () => {
    const queue = new MemoryEventQueue((message) => {
      if (message.rowIndexes.includes(0)) return { retryable: false, error: 'InvalidMessageContents: refused' };
      if (message.rowIndexes.includes(1)) return { retryable: true, error: 'InternalError' };
      return undefined;
    });
    const { ports, rejections } = memoryIngestPorts(queue);
    const result = await ingestRows(request(['a', 'b', 'c'].map(rowOf)), ports);
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      { index: 0, reason: 'internal', error: expect.stringContaining('InvalidMessageContents'), retryable: false },
      { index: 1, reason: 'internal', error: 'could not be queued; resend this row', retryable: true },
    ]);
    expect(rejections.map((row) => 'index' in row && row.index)).toEqual([0, 1]);
  });

  it('accepts only what it queued: each accepted row is in exactly one sent message', async () => {
    const { ports, queue } = memoryIngestPorts();
    const result = await ingestRows(request([rowOf('a'), { deviceId: 'no-event-name' }, rowOf('b'), rowOf('a')]), ports);
    expect(result.accepted).toBe(3);
    expect(result.rejected.map((rejection) => [rejection.index, rejection.reason])).toEqual([[1, 'validation']]);
    expect(queue.sent.flatMap((message) => message.rowIndexes).sort()).toEqual([0, 2, 3]);
  });

  it('answers a validate-only request with the same verdicts and queues and keeps nothing', async () => {
    const { ports, queue, rejections } = memoryIngestPorts();
    const result = await ingestRows(request([rowOf('a'), { deviceId: 'x' }], { validateOnly: true }), ports);
    expect(result).toMatchObject({ accepted: 1, rejected: [{ index: 1, reason: 'validation' }] });
    expect(queue.sent).toEqual([]);
    expect(rejections).toEqual([]);
  });

  describe('an import that says when its rows were first received', () => {
    const HOUR_MS = 3_600_000;
    // First received two days before this request; the device's clock ran 3 hours behind.
    const firstReceivedAt = RECEIVED_AT - 48 * HOUR_MS;
    const sentAt = firstReceivedAt - 3 * HOUR_MS;
    const happened = sentAt - 10 * 60_000;
    const replay = (rows: readonly unknown[]) =>
      request(rows, { mode: 'import', sentAt, rowsReceivedAt: firstReceivedAt, requestId: 'replay' });

    it("corrects skew against that time, not its own, and stores it as the events' receivedAt", async () => {
      const { ports, queue } = memoryIngestPorts();
      const result = await ingestRows(
        replay([{ eventId: 'skewed', event: 'e', deviceId: 'd', timestamp: new Date(happened).toISOString() }]),
        ports,
      );
      expect(result.accepted).toBe(1);
      const [event] = queue.sent.flatMap((message) => parseMessageBody(message.body).events);
      expect(event).toMatchObject({
        timestamp: new Date(happened + 3 * HOUR_MS).toISOString(),
        originalTimestamp: new Date(happened).toISOString(),
        receivedAt: new Date(firstReceivedAt).toISOString(),
      });
    });

    it('keeps a row refused again with its batch sentAt and first receipt in the lake, and dates the audit row by this request', async () => {
      const { ports, rejections } = memoryIngestPorts();
      const kept: RejectedRowRecord[] = [];
      await ingestRows(replay([{ event: 'e' }]), { ...ports, keepRejectedRows: async (_projectId, rows) => void kept.push(...rows) });
      expect(kept).toEqual([
        expect.objectContaining({
          index: 0,
          reason: 'validation',
          requestId: 'replay',
          receivedAt: new Date(firstReceivedAt).toISOString(),
          sentAt: new Date(sentAt).toISOString(),
        }),
      ]);
      expect(rejections).toEqual([expect.objectContaining({ receivedAt: new Date(RECEIVED_AT).toISOString() })]);
    });
  });

  it('keeps an OpenPanel row refused as too old in Tidemark shape, with the user agent its event would have had and no IP', async () => {
    const { ports, queue } = memoryIngestPorts();
    const kept: RejectedRowRecord[] = [];
    const openPanelRow = (at: number) => ({
      type: 'track',
      payload: { name: 'opened', properties: { __deviceId: 'd', __timestamp: new Date(at).toISOString(), __ip: '203.0.113.9' } },
    });
    const browser = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)';
    await ingestRows(
      request([openPanelRow(RECEIVED_AT), openPanelRow(RECEIVED_AT - 30 * 86_400_000)], {
        userAgent: browser,
        translator: openPanelTranslator(),
      }),
      { ...ports, keepRejectedRows: async (_projectId, rows) => void kept.push(...rows) },
    );
    const [stored] = queue.sent.flatMap((message) => parseMessageBody(message.body).events);
    expect(stored?.context).toEqual({ userAgent: browser });
    expect(kept).toEqual([expect.objectContaining({ index: 1, reason: 'too_old' })]);
    // Replayed through /v1/import by the CLI, whose own user agent must not become the event's.
    expect(kept[0]?.replayRow).toMatchObject({ type: 'track', event: 'opened', anonymousId: 'd', context: { userAgent: browser } });
    expect(JSON.stringify(kept)).not.toContain('203.0.113.9');
  });
});
