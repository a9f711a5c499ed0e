/**
 * `tidemark lake compact`: every closed project-day (before today, UTC) rewritten as one file
 * with each event once. Runs on the local lake's files or, with --stack, on the lake bucket.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { S3LakeObjects } from '../../lambdas/adapters/s3-lake-objects.js';
import { compactClosedDays, type CompactionOutcome } from '../../lambdas/lake/compact.js';
import { FileLakeObjects } from '../../local/file-lake-objects.js';
import type { Target } from '../target.js';

export async function compactLake(target: Target, nowMs = Date.now()): Promise<CompactionOutcome[]> {
  if (target.lakeDir) return compactClosedDays(new FileLakeObjects(target.lakeDir), nowMs);
  if (target.lakeBucketName) {
    const client = new S3Client({});
    try {
      return await compactClosedDays(new S3LakeObjects(client, target.lakeBucketName), nowMs);
    } finally {
      client.destroy();
    }
  }
  throw new Error(
    'This target has no lake: a local runtime writes one under its data directory, a stack names it in its LakeBucketName output.',
  );
}
