/**
 * The lake writer use case: one stream batch of stored events becomes one Parquet object per
 * project-day it touches, named after the batch, so writing the same batch again replaces
 * exactly those objects.
 */
import { LakeEventColumns } from '../../resources/index.js';
import { encodeParquet } from '../core/lake-parquet.js';
import { batchObjectName, groupByPartition, lakeRowOf, partitionPrefix } from '../core/lake-rows.js';
import type { LakeObjects } from './ports.js';

export type StreamedEvent = { readonly sequenceNumber: string; readonly item: Readonly<Record<string, unknown>> };

export type BatchBounds = { readonly firstSequenceNumber: string; readonly lastSequenceNumber: string };

export type LakeWriteOutcome = { rows: number; objects: string[]; bytes: number };

export async function writeBatchToLake(
  bounds: BatchBounds,
  events: readonly StreamedEvent[],
  lake: LakeObjects,
): Promise<LakeWriteOutcome> {
  const name = batchObjectName(bounds.firstSequenceNumber, bounds.lastSequenceNumber);
  const groups = groupByPartition(events.map((event) => lakeRowOf(event.item)));
  const written = await Promise.all(
    groups.map(async ({ partition, rows }) => {
      const key = `${partitionPrefix(partition)}${name}`;
      const body = encodeParquet(LakeEventColumns, rows);
      await lake.put(key, body);
      return { key, bytes: body.byteLength };
    }),
  );
  return {
    rows: events.length,
    objects: written.map((w) => w.key),
    bytes: written.reduce((sum, w) => sum + w.bytes, 0),
  };
}
