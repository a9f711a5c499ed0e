/** Query results as an aligned text table, CSV (RFC 4180) or JSON lines. */
import { csvField } from '../csv.js';
import type { SqlResult, SqlValue } from './sql-engine.js';

export type ResultFormat = 'table' | 'csv' | 'json';
export const isResultFormat = (text: string): text is ResultFormat => text === 'table' || text === 'csv' || text === 'json';

const cellText = (value: SqlValue): string => (value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

export function formatResult(result: SqlResult, format: ResultFormat): string[] {
  if (format === 'json')
    return result.rows.map((row) => JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c, row[i] ?? null]))));
  if (format === 'csv')
    return [result.columns, ...result.rows.map((row) => row.map(cellText))].map((cells) => cells.map((c) => csvField(c)).join(','));
  const texts = result.rows.map((row) => row.map(cellText));
  const widths = result.columns.map((c, i) => Math.max(c.length, ...texts.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  return [
    line(result.columns),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...texts.map(line),
    `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`,
  ];
}
