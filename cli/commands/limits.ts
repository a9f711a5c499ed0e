/** Per-project quotas and caps: read the effective ones, change some (the others keep their value). */
import { DynamoQuotaSettings } from '../../lambdas/adapters/project-quota.js';
export { LimitNames } from '../../lambdas/core/quota.js';
import { LimitNames, type LimitName, type ProjectLimits } from '../../lambdas/core/quota.js';
import type { Target } from '../target.js';

/** The command-line flag of each quota: `rowsPerSecond` is `--rows-per-second`. */
export const quotaFlag = (name: LimitName): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export const getLimits = (target: Target, projectId: string): Promise<ProjectLimits> =>
  new DynamoQuotaSettings(target.documents, target.keysTableName).quotaOf(projectId);

export const setLimits = (target: Target, projectId: string, changes: Partial<Record<LimitName, string>>): Promise<ProjectLimits> =>
  new DynamoQuotaSettings(target.documents, target.keysTableName).setQuota(projectId, changes as Partial<ProjectLimits>);

export const formatLimits = (limits: ProjectLimits): string[] => LimitNames.map((name) => `${name.padEnd(22)} ${limits[name]}`);
