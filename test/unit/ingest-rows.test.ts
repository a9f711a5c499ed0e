/** The ingest use case with a fake queue port: which rows a client is told to resend. */
import { describe, expect, it } from 'vitest';
import type { EventQueue, UnsentMessage } from '../../lambdas/adapters/event-queue.js';
import { ingestRows } from '../../lambdas/ingest/ingest.js';

/** A queue that refuses the message holding `refusedIndex` for good and the one holding `transientIndex` for now. */
const queue = (refusedIndex: number, transientIndex: number): EventQueue => ({
  send: async (messages) => ({
    unsent: messages.flatMap((message): UnsentMessage[] => {
      if (message.rowIndexes.includes(refusedIndex)) return [{ message, retryable: false, error: 'InvalidMessageContents: refused' }];
      if (message.rowIndexes.includes(transientIndex)) return [{ message, retryable: true, error: 'InternalError' }];
      return [];
    }),
  }),
});

describe('ingestRows', () => {
  it('reports rows the queue refused for good as not retryable, and transient failures as retryable', async () => {
    const rows = ['a', 'b', 'c'].map((deviceId) => ({ event: 'e', deviceId }));
    const kept: unknown[] = [];
    const result = await ingestRows(
      { projectId: 'p', requestId: 'r', mode: 'batch', rows, receivedAt: Date.now(), validateOnly: false },
      { queue: queue(0, 1), recordRejections: async (_, rejected) => void kept.push(...rejected), maxEventAgeDays: 5 },
    );
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      { index: 0, reason: 'internal', error: expect.stringContaining('InvalidMessageContents'), retryable: false },
      { index: 1, reason: 'internal', error: 'could not be queued; resend this row', retryable: true },
    ]);
    expect(kept).toHaveLength(2);
  });
});
