/**
 * `tidemark sql "SELECT …"`: the lake's `events` view (each event once), through DuckDB on the
 * local runtime's files or through Athena on a deployed stack. For operators with AWS
 * credentials; the HTTP API stays project-scoped.
 */
import type { Target } from '../target.js';
import { AthenaEngine } from '../lake/athena-engine.js';
import { DuckDbEngine } from '../lake/duckdb-engine.js';
import type { SqlEngine, SqlResult } from '../lake/sql-engine.js';

export async function openSqlEngine(target: Target): Promise<SqlEngine> {
  if (target.lakeDir) return DuckDbEngine.open(target.lakeDir);
  if (target.lakeWorkgroupName) return new AthenaEngine(target.lakeWorkgroupName);
  throw new Error(
    'This target has no lake: a local runtime writes one under its data directory, a stack names it in its LakeWorkgroupName output.',
  );
}

export async function runSql(target: Target, statement: string, onProgress?: (state: string) => void): Promise<SqlResult> {
  const engine = await openSqlEngine(target);
  try {
    return await engine.query(statement, onProgress);
  } finally {
    await engine.close();
  }
}
