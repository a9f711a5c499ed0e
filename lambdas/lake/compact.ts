/**
 * Compaction: a closed project-day's raw batch files (and earlier compacted files) become one
 * file holding each event once. The new file is written before the old ones are deleted, and only
 * the files read are deleted, so a crash or a batch landing meanwhile loses nothing (the dedup
 * view hides the copies until the next run).
 *
 * The new file's name is derived from the files it replaces, never a fixed name: two compactions
 * of one day at once (the daily schedule and an operator's `tidemark lake compact`) then write two
 * files instead of one overwriting the other. With a fixed name, the one that listed fewer files
 * could write last and replace the other's file, whose extra batches it had already deleted.
 */
import { createHash } from 'node:crypto';
import { LakeEventColumns, LakeLayout } from '../../resources/index.js';
import { decodeParquet, encodeParquet } from '../core/lake-parquet.js';
import { distinctEvents, parseObjectKey, partitionPrefix, type LakePartition, type LakeRow } from '../core/lake-rows.js';
import { dayBucket } from '../core/timestamps.js';
import type { LakeObjects } from './ports.js';

export type CompactionOutcome = { partition: LakePartition; filesRead: number; rowsRead: number; rowsWritten: number; bytes: number };

/**
 * Some project-days could not be compacted (a file that is not Parquet, a read that failed); every
 * other day was, and the failed days' files are left as they were. Thrown after the whole run, so
 * one bad file cannot hold back every project-day listed after it.
 */
export class LakeCompactionError extends Error {
  constructor(
    readonly compacted: readonly CompactionOutcome[],
    readonly failed: readonly { readonly partition: LakePartition; readonly reason: string }[],
  ) {
    super(
      `${failed.length} project-days not compacted (${compacted.length} were): ` +
        failed.map(({ partition, reason }) => `${partition.projectId} ${partition.day}: ${reason}`).join('; '),
    );
    this.name = 'LakeCompactionError';
  }
}

/**
 * Compacts every project-day before today (UTC) that holds anything but its one compacted file;
 * `mayStartAnother` lets a caller with a deadline stop between days.
 */
export async function compactClosedDays(
  lake: LakeObjects,
  nowMs = Date.now(),
  mayStartAnother: () => boolean = () => true,
): Promise<CompactionOutcome[]> {
  const today = dayBucket(nowMs);
  const byPartition = new Map<string, { partition: LakePartition; files: string[] }>();
  for (const key of await lake.list(`${LakeLayout.eventsPrefix}/`)) {
    const parsed = parseObjectKey(key);
    if (!parsed || parsed.day >= today) continue;
    const prefix = partitionPrefix(parsed);
    const entry = byPartition.get(prefix) ?? { partition: { projectId: parsed.projectId, day: parsed.day }, files: [] };
    entry.files.push(key);
    byPartition.set(prefix, entry);
  }
  const outcomes: CompactionOutcome[] = [];
  const failed: { partition: LakePartition; reason: string }[] = [];
  const pending = [...byPartition.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, entry]) => entry)
    .filter(({ files }) => !(files.length === 1 && isCompactedFile(files[0]!)));
  for (const { partition, files } of inTurn(pending, nowMs)) {
    if (!mayStartAnother()) break;
    try {
      outcomes.push(await compactPartition(lake, partition, files));
    } catch (error) {
      failed.push({ partition, reason: (error as Error).message });
    }
  }
  if (failed.length > 0) throw new LakeCompactionError(outcomes, failed);
  return outcomes;
}

/**
 * The days to compact, in name order rotated by the day of the run: a project-day that ends a run
 * without a catchable error (one too large for the function's memory, or past its timeout) holds
 * back the days after it only that day, and every other day comes first within as many runs as
 * there are days waiting.
 */
export function inTurn<T>(pending: readonly T[], nowMs: number): T[] {
  if (pending.length === 0) return [];
  const shift = Math.floor(nowMs / 86_400_000) % pending.length;
  return [...pending.slice(shift), ...pending.slice(0, shift)];
}

export async function compactPartition(lake: LakeObjects, partition: LakePartition, files: readonly string[]): Promise<CompactionOutcome> {
  // Earlier compacted files first, then batches, each in name order: the result does not depend on listing order.
  const ordered = [...files].sort((a, b) => Number(isCompactedFile(b)) - Number(isCompactedFile(a)) || a.localeCompare(b));
  const target = `${partitionPrefix(partition)}${compactedFileName(ordered)}`;
  const rows: LakeRow[] = [];
  for (const key of ordered) rows.push(...(await readLakeFile(lake, key)));
  const distinct = distinctEvents(rows).sort(byTimestampThenId);
  const body = encodeParquet(LakeEventColumns, distinct);
  await lake.put(target, body);
  await lake.delete(ordered.filter((key) => key !== target));
  return { partition, filesRead: files.length, rowsRead: rows.length, rowsWritten: distinct.length, bytes: body.byteLength };
}

/** A file's rows, or an error naming the file: Athena and DuckDB fail every query over a partition holding it too. */
async function readLakeFile(lake: LakeObjects, key: string): Promise<LakeRow[]> {
  const body = await lake.get(key);
  try {
    return await decodeParquet(body);
  } catch (error) {
    throw new Error(
      `${key} (${body.byteLength} bytes) is not a readable Parquet file (${(error as Error).message}); move it out of the lake's events/ prefix`,
      { cause: error },
    );
  }
}

/** A compacted file's name: the prefix and a digest of the names of the files it replaces. */
export function compactedFileName(replaced: readonly string[]): string {
  const digest = createHash('sha256')
    .update([...replaced].sort().join('\n'))
    .digest('hex')
    .slice(0, 16);
  return `${LakeLayout.compactedFilePrefix}-${digest}.parquet`;
}

export const isCompactedFile = (key: string): boolean => (parseObjectKey(key)?.fileName ?? '').startsWith(LakeLayout.compactedFilePrefix);

/** Sorted by time, so a compacted file's row-group statistics let engines skip by time. */
function byTimestampThenId(a: LakeRow, b: LakeRow): number {
  const ta = (a.timestamp as Date).getTime();
  const tb = (b.timestamp as Date).getTime();
  return ta - tb || String(a.eventid).localeCompare(String(b.eventid));
}
