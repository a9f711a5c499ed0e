/**
 * The `events` view both SQL engines serve: the raw lake files with each event once. A redelivered
 * stream batch with other boundaries, or a compaction that crashed before deleting its inputs,
 * leaves copies of an event in several files; copies are identical, so any one will do.
 */
import { LakeCatalog, LakeEventColumns, LakePartitions } from '../../resources/index.js';

export const EVENTS_VIEW = 'events';
/** Rejected rows need no dedup: one object per request, rewritten whole by a retry. */
export const REJECTIONS_VIEW = LakeCatalog.rejectionsTableName;

const quoted = (name: string) => `"${name}"`;
const selectedColumns = [...LakeEventColumns.map((c) => c.name), LakePartitions.project, LakePartitions.day].map(quoted).join(', ');

/**
 * The dedup query over `source`, which must carry the partition columns and a file-name column.
 * Copies of an event share its day (the partition is the stored time's day, and every copy is of
 * one stored item), so dedup is per project-day: the window is partitioned by both partition
 * columns, and a query's filter on `dt` is then applied below it, to the files read. Trino and
 * DuckDB push a filter through a window only when it names the window's partition columns alone
 * (Trino's PredicatePushDown, DuckDB's FilterPushdown::PushdownWindow); partitioned by project and
 * event id alone, `WHERE dt = …` read (and Athena billed) every day of the project.
 */
export function distinctEventsQuery(source: string, fileColumn: string): string {
  return (
    `SELECT ${selectedColumns} FROM (SELECT *, row_number() OVER (PARTITION BY ${quoted(LakePartitions.project)}, ${quoted(LakePartitions.day)}, "eventid" ORDER BY ${fileColumn}) AS copy_rank FROM ${source}) ` +
    `WHERE copy_rank = 1`
  );
}

/** Whitespace and comments before a statement's first keyword. */
const LEADING_TRIVIA = String.raw`(?:\s|--[^\n]*(?:\n|$)|/\*[\s\S]*?\*/)*`;
const LEADING_WITH = new RegExp(String.raw`^${LEADING_TRIVIA}WITH\s+(?:RECURSIVE\s+)?`, 'i');
/** `events` as a name (`events_raw` is another). */
const NAMES_EVENTS = new RegExp(String.raw`(?<![\w"])${EVENTS_VIEW}(?![\w"])|"${EVENTS_VIEW}"`, 'i');

/**
 * Athena: the view as a leading `WITH` (a Glue view would need Presto's encoded view format), put
 * in front of the operator's statement, or joined to its own `WITH` list (after any leading
 * comments). A statement that never names `events` goes as it is: only a query may follow a `WITH`,
 * so `SHOW TABLES` or `SHOW PARTITIONS events_raw` behind one would be a syntax error.
 */
export function withEventsView(statement: string): string {
  if (!NAMES_EVENTS.test(statement)) return statement;
  const view = `${EVENTS_VIEW} AS (${distinctEventsQuery(`"${LakeCatalog.databaseName}"."${LakeCatalog.eventsTableName}"`, '"$path"')})`;
  const leadingWith = LEADING_WITH.exec(statement);
  if (!leadingWith) return `WITH ${view}\n${statement}`;
  return `${leadingWith[0]}${view},\n${statement.slice(leadingWith[0].length)}`;
}
