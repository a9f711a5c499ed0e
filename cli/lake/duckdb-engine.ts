/**
 * SQL over the local lake with DuckDB (in process; Parquet is built in, and nothing needs a
 * download). `events_raw` reads every file under `events/`, `events` shows each event once, `rejections` the
 * rejected rows.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { LakeEventColumns, LakeLayout, LakePartitions, LakeRejectionColumns, type LakeColumn } from '../../resources/index.js';
import { FileLakeObjects } from '../../local/file-lake-objects.js';
import { distinctEventsQuery, EVENTS_VIEW, REJECTIONS_VIEW } from './views.js';
import type { SqlEngine, SqlResult, SqlValue } from './sql-engine.js';

const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`;

export class DuckDbEngine implements SqlEngine {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** Views that could not be created, and why. */
    private readonly missingViews: ReadonlyMap<string, string>,
  ) {}

  /**
   * The events views and the rejections view are created apart: DuckDB reads every file's footer
   * when it creates a view, so one file it cannot read (empty, cut short, not Parquet) fails that
   * view alone, and `rejections replay` still works beside a broken events file (and the other way
   * round). A statement that fails while a view is missing says why it is.
   */
  static async open(lakeDir: string): Promise<DuckDbEngine> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const missingViews = new Map<string, string>();
    const createViews = async (names: readonly string[], create: () => Promise<void>) => {
      try {
        await create();
      } catch (error) {
        for (const name of names) missingViews.set(name, (error as Error).message.split('\n')[0]!);
      }
    };
    await createViews(['events_raw', EVENTS_VIEW], async () => {
      await connection.run(`CREATE VIEW events_raw AS ${await lakeSource(lakeDir, LakeLayout.eventsPrefix, LakeEventColumns)}`);
      await connection.run(`CREATE VIEW ${EVENTS_VIEW} AS ${distinctEventsQuery('events_raw', 'lake_file')}`);
    });
    await createViews([REJECTIONS_VIEW], async () => {
      await connection.run(
        `CREATE VIEW ${REJECTIONS_VIEW} AS ${await lakeSource(lakeDir, LakeLayout.rejectionsPrefix, LakeRejectionColumns)}`,
      );
    });
    return new DuckDbEngine(instance, connection, missingViews);
  }

  async query(statement: string): Promise<SqlResult> {
    let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
    try {
      reader = await this.connection.runAndReadAll(statement);
    } catch (error) {
      if (this.missingViews.size === 0) throw error;
      const why = [...this.missingViews].map(([name, reason]) => `view ${name} is missing: ${reason}`).join('; ');
      throw new Error(`${(error as Error).message}\n(${why}; move the file out of the lake)`, { cause: error });
    }
    return {
      columns: reader.columnNames(),
      types: reader.columnTypes().map(String),
      rows: reader.getRowsJson() as SqlValue[][],
    };
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/**
 * The files under a lake prefix with their partitions as columns, every column of the schema
 * present: unioned by name with the schema's empty, typed relation, so a column newer than every
 * file there (`sentat` of rejections) reads as NULL instead of failing the query.
 */
async function lakeSource(lakeDir: string, prefix: string, schema: readonly LakeColumn[]): Promise<string> {
  const columns = schema.map((c) => `NULL::${c.duckdb} AS "${c.name}"`);
  const typed = `SELECT ${columns.join(', ')}, NULL::VARCHAR AS "${LakePartitions.project}", NULL::VARCHAR AS "${LakePartitions.day}", NULL::VARCHAR AS lake_file WHERE false`;
  const files = await new FileLakeObjects(lakeDir).list(`${prefix}/`);
  if (files.length === 0) return typed;
  const glob = `${lakeDir}/${prefix}/*/*/*.parquet`;
  return (
    `SELECT * FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, ` +
    `hive_types = {'${LakePartitions.project}': VARCHAR, '${LakePartitions.day}': VARCHAR}, union_by_name = true, filename = 'lake_file') ` +
    `UNION ALL BY NAME ${typed}`
  );
}
