/** What the read API's use cases need from outside; `adapters/` implements it (DynamoDB). */
import type { CounterRow } from '../core/aggregate-query.js';
import type { DayCursor, DayRange } from '../core/day-range.js';
import type { RejectedRow, StoredEvent } from '../core/types.js';
import type { DeviceState } from '../../resources/api-answers.js';

export type EventFilter = DayRange & {
  readonly projectId: string;
  readonly event?: string;
  readonly deviceId?: string;
  readonly source?: string;
};

export interface EventListing {
  /** Newest first; `nextCursor` is set while more may follow. */
  list(filter: EventFilter): Promise<{ events: StoredEvent[]; nextCursor?: DayCursor }>;
}

export interface CounterReader {
  /** The event names recorded in one names partition (a project's month). */
  eventNames(pk: string): Promise<string[]>;
  /** The counter rows of one partition between two sort keys, inclusive. */
  queryPartition(pk: string, fromSk: string, toSk: string): Promise<CounterRow[]>;
}

export interface RejectionListing {
  listRejections(projectId: string, range: DayRange): Promise<{ rows: RejectedRow[]; nextCursor?: DayCursor }>;
}

export interface RejectionBudgetReader {
  /** Rejected rows not kept, past the project's daily cap, over these UTC days. */
  notKept(projectId: string, days: readonly string[]): Promise<number>;
}

export interface DeviceReader {
  getDevice(projectId: string, deviceId: string): Promise<DeviceState | undefined>;
}

export type QueryDependencies = {
  readonly aggregates: CounterReader;
  readonly events: EventListing;
  readonly rejections: RejectionListing;
  readonly rejectionBudget: RejectionBudgetReader;
  readonly devices: DeviceReader;
  /** Signs listing cursors (`EnvNames.cursorSecret`). */
  readonly cursorSecret: string;
};
