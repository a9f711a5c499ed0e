/** Per-project quotas: read the effective ones, change some (the others keep their value). */
import { DynamoQuotaSettings } from '../../lambdas/adapters/project-quota.js';
export { QuotaNames } from '../../lambdas/core/quota.js';
import { QuotaNames, type ProjectQuota, type QuotaName } from '../../lambdas/core/quota.js';
import type { Target } from '../target.js';

/** The command-line flag of each quota: `rowsPerSecond` is `--rows-per-second`. */
export const quotaFlag = (name: QuotaName): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export const getLimits = (target: Target, projectId: string): Promise<ProjectQuota> => new DynamoQuotaSettings(target.documents, target.keysTableName).quotaOf(projectId);

export const setLimits = (target: Target, projectId: string, changes: Partial<Record<QuotaName, string>>): Promise<ProjectQuota> =>
  new DynamoQuotaSettings(target.documents, target.keysTableName).setQuota(projectId, changes as Partial<ProjectQuota>);

export const formatLimits = (quota: ProjectQuota): string[] => QuotaNames.map((name) => `${name.padEnd(18)} ${quota[name]}`);

