/**
 * A listing's range over day partitions (`…#YYYY-MM-DD`) and the position a signed cursor carries in
 * it; pure, so the query use case can check a cursor and the stores can walk the days.
 */
import { invalidCursor } from './cursor.js';
import { dayBucket } from './timestamps.js';

export type DayCursor = { readonly day: string; readonly after?: Record<string, unknown> };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A signed cursor's position, checked against this query's range: its day must be one the range
 * covers and its start key must sort inside the range (a client may narrow `from`/`to` between
 * pages), so a cursor never makes a query walk days outside the range or fail in DynamoDB.
 * `sortKey` names the sort key attribute of the listed items.
 */
export function dayCursorWithin(range: Omit<DayRange, 'cursor'>, position: unknown, sortKey: string): DayCursor {
  const { day, after } = (position ?? {}) as { day?: unknown; after?: unknown };
  if (typeof day !== 'string' || !DAY.test(day)) throw invalidCursor('no day');
  if (day < dayBucket(range.fromMs) || day > dayBucket(range.toMs - 1)) throw invalidCursor('outside the range of this query');
  if (after === undefined) return { day };
  const bounds = sortKeyBounds(range);
  const sk = (after as Record<string, unknown> | null)?.[sortKey];
  if (typeof sk !== 'string' || sk < bounds.from || sk > bounds.to) throw invalidCursor('outside the range of this query');
  return { day, after: after as Record<string, unknown> };
}

export type DayRange = { readonly fromMs: number; readonly toMs: number; readonly limit: number; readonly cursor?: DayCursor };

/** Sort-key bounds of the range within any day: `to` is exclusive. */
export const sortKeyBounds = (range: DayRange) => ({
  from: new Date(range.fromMs).toISOString(),
  // Every key at an earlier millisecond sorts at or below this one.
  to: `${new Date(range.toMs - 1).toISOString()}\uffff`,
});
