/**
 * Rejected rows kept whole in the lake, so nothing a device sent is lost: a row refused as too old
 * today can be replayed through `/v1/import` once an operator decides so.
 */
import { LakeRejectionColumns } from '../../resources/index.js';
import { encodeParquet } from '../core/lake-parquet.js';
import { rejectionObjectKey, rejectionRowOf, type RejectedRowRecord } from '../core/lake-rows.js';
import type { LakeObjects } from './ports.js';

/** One object per request: a retried invocation of the same request writes the same key. */
export async function keepRejectedRows(lake: LakeObjects, projectId: string, rows: readonly RejectedRowRecord[]): Promise<void> {
  const first = rows[0];
  if (!first) return;
  await lake.put(
    rejectionObjectKey(projectId, first.receivedAt, first.requestId),
    encodeParquet(LakeRejectionColumns, rows.map(rejectionRowOf)),
  );
}
