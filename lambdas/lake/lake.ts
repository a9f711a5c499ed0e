/**
 * The lake writer use case: one stream batch of stored events becomes one Parquet object per
 * project-day it touches, named after the batch, so writing the same batch again replaces
 * exactly those objects.
 */
import { LakeEventColumns } from '../../resources/index.js';
import { encodeParquet } from '../core/lake-parquet.js';
import {
  batchObjectName,
  groupByPartition,
  lakeRowOf,
  partitionPrefix,
  UnplaceableEventError,
  type PartitionedRow,
} from '../core/lake-rows.js';
import type { LakeObjects } from './ports.js';

export type StreamedEvent = { readonly sequenceNumber: string; readonly item: Readonly<Record<string, unknown>> };

export type BatchBounds = { readonly firstSequenceNumber: string; readonly lastSequenceNumber: string };

/** `unplaceable`: stored items that cannot be lake rows (their key and why); they stay in DynamoDB and are logged, never a reason to fail the batch. */
export type LakeWriteOutcome = { rows: number; objects: string[]; bytes: number; unplaceable: { key: string; reason: string }[] };

export async function writeBatchToLake(
  bounds: BatchBounds,
  events: readonly StreamedEvent[],
  lake: LakeObjects,
): Promise<LakeWriteOutcome> {
  return writeItemsToLake(
    batchObjectName(bounds.firstSequenceNumber, bounds.lastSequenceNumber),
    events.map((event) => event.item),
    lake,
  );
}

/**
 * Stored events as one object named `objectName` in each project-day they touch: what the stream
 * writer does per batch, and `tidemark lake backfill` per chunk of the events it reads back.
 */
export async function writeItemsToLake(
  objectName: string,
  items: readonly Readonly<Record<string, unknown>>[],
  lake: LakeObjects,
): Promise<LakeWriteOutcome> {
  const rows: PartitionedRow[] = [];
  const unplaceable: LakeWriteOutcome['unplaceable'] = [];
  for (const item of items) {
    try {
      rows.push(lakeRowOf(item));
    } catch (error) {
      if (!(error instanceof UnplaceableEventError)) throw error;
      unplaceable.push({ key: String(item.pk ?? item.eventId ?? '?'), reason: error.message });
    }
  }
  const groups = groupByPartition(rows);
  const written = await Promise.all(
    groups.map(async ({ partition, rows }) => {
      const key = `${partitionPrefix(partition)}${objectName}`;
      const body = encodeParquet(LakeEventColumns, rows);
      await lake.put(key, body);
      return { key, bytes: body.byteLength };
    }),
  );
  return {
    rows: rows.length,
    objects: written.map((w) => w.key),
    bytes: written.reduce((sum, w) => sum + w.bytes, 0),
    unplaceable,
  };
}
