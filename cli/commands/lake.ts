/**
 * `tidemark lake compact`: every closed project-day (before today, UTC) rewritten as one file
 * with each event once. `tidemark lake backfill --from DAY --to DAY [--project P]`: the events of
 * those days still in the hot tier (DynamoDB) written to the lake again, for days the lake writer
 * missed (a stream batch in its on-failure queue) or events stored before the lake existed.
 * Copies are harmless: the `events` view shows each event once and compaction keeps one.
 * Both run on the local lake's files or, with --stack, on the lake bucket.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { S3LakeObjects } from '../../lambdas/adapters/s3-lake-objects.js';
import { compactClosedDays, type CompactionOutcome } from '../../lambdas/lake/compact.js';
import { dayBucket } from '../../lambdas/core/timestamps.js';
import { writeItemsToLake } from '../../lambdas/lake/lake.js';
import type { LakeObjects } from '../../lambdas/lake/ports.js';
import { FileLakeObjects } from '../../local/file-lake-objects.js';
import type { Target } from '../target.js';
import { scanStoredEvents, type StoredEventRange } from './stored-events.js';

/** Events written per backfill object: bounds the CLI's memory whatever the range. */
const BACKFILL_CHUNK_EVENTS = 50_000;

export async function compactLake(target: Target, nowMs = Date.now()): Promise<CompactionOutcome[]> {
  return withLake(target, (lake) => compactClosedDays(lake, nowMs));
}

/** `unplaceable`: stored items that cannot be lake rows, with their key and why. */
export type BackfillReport = {
  readonly events: number;
  readonly objects: number;
  readonly bytes: number;
  readonly unplaceable: { key: string; reason: string }[];
};

export async function backfillLake(target: Target, range: StoredEventRange): Promise<BackfillReport> {
  const name = (chunk: number) => `backfill-${dayBucket(range.fromMs)}-${dayBucket(range.toMs)}-${chunk}.parquet`;
  return withLake(target, async (lake) => {
    const written = { events: 0, objects: 0, bytes: 0 };
    const unplaceable: BackfillReport['unplaceable'] = [];
    let pending: Record<string, unknown>[] = [];
    let chunk = 0;
    const flush = async () => {
      if (pending.length === 0) return;
      const outcome = await writeItemsToLake(name(chunk++), pending, lake);
      written.events += outcome.rows;
      written.objects += outcome.objects.length;
      written.bytes += outcome.bytes;
      unplaceable.push(...outcome.unplaceable);
      pending = [];
    };
    // Numbers as the stream's image carries them to the writer (unmarshalled the same way).
    for await (const page of scanStoredEvents(target, range)) {
      pending.push(...page.map((raw) => unmarshall(raw)));
      if (pending.length >= BACKFILL_CHUNK_EVENTS) await flush();
    }
    await flush();
    return { ...written, unplaceable };
  });
}

async function withLake<T>(target: Target, act: (lake: LakeObjects) => Promise<T>): Promise<T> {
  if (target.lakeDir) return act(new FileLakeObjects(target.lakeDir));
  if (target.lakeBucketName) {
    const client = new S3Client({});
    try {
      return await act(new S3LakeObjects(client, target.lakeBucketName));
    } finally {
      client.destroy();
    }
  }
  throw new Error(
    'This target has no lake: a local runtime writes one under its data directory, a stack names it in its LakeBucketName output.',
  );
}
