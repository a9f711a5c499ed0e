/** What the ingest use case needs from outside; `adapters/` implements it (SQS, DynamoDB, S3). */
import type { RejectedRowRecord } from '../core/lake-rows.js';
import type { QueueMessage } from '../core/packing.js';
import type { NamesInUse, ProjectCaps, RefusedNames } from '../core/project-caps.js';
import type { RejectedRow } from '../core/types.js';

/** A message SQS did not take: `retryable` is false when SQS said the message itself is at fault. */
export type UnsentMessage = { readonly message: QueueMessage; readonly retryable: boolean; readonly error: string };

export interface EventQueue {
  send(messages: readonly QueueMessage[]): Promise<{ unsent: UnsentMessage[] }>;
}

export type IngestDependencies = {
  readonly queue: EventQueue;
  readonly recordRejections: (projectId: string, rows: RejectedRow[]) => Promise<void>;
  /** Keeps rejected rows whole in the event lake (the audit store above keeps them cut and for days). */
  readonly keepRejectedRows?: (projectId: string, rows: RejectedRowRecord[]) => Promise<void>;
  readonly maxEventAgeDays: number;
  /** Registers the event names and sources new to the project while `caps` allow; answers those refused. */
  readonly admitNames: (projectId: string, names: NamesInUse, caps: Pick<ProjectCaps, 'eventNames' | 'sources'>) => Promise<RefusedNames>;
  /**
   * How many of `rows` rejected rows `recordRejections` may still keep for the project on the day of
   * `receivedAtMs`, up to `keptPerDay` (the rest are counted as not kept).
   */
  readonly rejectionsToKeep: (projectId: string, receivedAtMs: number, rows: number, keptPerDay: number) => Promise<number>;
};
