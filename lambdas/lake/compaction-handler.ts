/**
 * The lake's daily compaction: an EventBridge schedule invokes it on AWS, a timer in the local
 * runtime does locally (`LakeCompaction` in resources/lake.ts), and it folds every closed
 * project-day's batch files into one (`compact.ts`). Days are measured from the scheduled time,
 * so a retried invocation compacts the same days.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ScheduledEvent } from 'aws-lambda';
import { LakeCompaction } from '../../resources/index.js';
import { configFromEnv } from '../config.js';
import { lambdaFunction } from '../middleware.js';
import { logger, metrics } from '../observability.js';
import { compactClosedDays, LakeCompactionError, type CompactionOutcome } from './compact.js';
import { lakeDependencies } from './handler.js';
import type { LakeObjects } from './ports.js';

export type CompactionSummary = { days: number; filesRead: number; rowsWritten: number };

export function createCompactionHandler(dependencies: () => LakeObjects) {
  return lambdaFunction(async (event: Pick<ScheduledEvent, 'time'>, context): Promise<CompactionSummary> => {
    const scheduledMs = Date.parse(event.time);
    const nowMs = Number.isNaN(scheduledMs) ? Date.now() : scheduledMs;
    let outcomes: readonly CompactionOutcome[];
    try {
      outcomes = await compactClosedDays(
        dependencies(),
        nowMs,
        () => context.getRemainingTimeInMillis() > LakeCompaction.stopReserveSeconds * 1000,
      );
    } catch (error) {
      if (!(error instanceof LakeCompactionError)) throw error;
      // The days that were compacted are reported as on success; the invocation still fails, so the errors alarm fires.
      report(error.compacted);
      for (const { partition, reason } of error.failed) logger.error('could not compact a closed project-day', { ...partition, reason });
      metrics.addMetric('LakeDaysNotCompacted', MetricUnit.Count, error.failed.length);
      throw error;
    }
    return report(outcomes);
  });
}

function report(outcomes: readonly CompactionOutcome[]): CompactionSummary {
  for (const { partition, ...counts } of outcomes) logger.info('compacted a closed project-day', { ...partition, ...counts });
  const summary = {
    days: outcomes.length,
    filesRead: outcomes.reduce((sum, o) => sum + o.filesRead, 0),
    rowsWritten: outcomes.reduce((sum, o) => sum + o.rowsWritten, 0),
  };
  logger.info('lake compaction done', summary);
  metrics.addMetric('LakeDaysCompacted', MetricUnit.Count, summary.days);
  metrics.addMetric('LakeFilesCompacted', MetricUnit.Count, summary.filesRead);
  return summary;
}

let cached: LakeObjects | undefined;
export const handler = createCompactionHandler(() => (cached ??= lakeDependencies(configFromEnv(process.env))));
