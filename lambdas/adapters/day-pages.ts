/**
 * Newest-first listing over day partitions (`…#YYYY-MM-DD`): walks days backwards from `to`,
 * a page at a time, and hands back a cursor that says where to go on.
 */
import type { DayCursor, DayRange } from '../core/day-range.js';
import { dayBucket } from '../core/timestamps.js';

export type DayPage<T> = { readonly items: T[]; readonly lastKey?: Record<string, unknown> };

const DAY_MS = 86_400_000;
const previousDay = (day: string) => dayBucket(Date.parse(`${day}T00:00:00Z`) - DAY_MS);

export async function readDaysNewestFirst<T>(
  range: DayRange,
  queryDay: (day: string, remaining: number, after: Record<string, unknown> | undefined) => Promise<DayPage<T>>,
): Promise<{ items: T[]; nextCursor?: DayCursor }> {
  const items: T[] = [];
  const firstDay = dayBucket(range.fromMs);
  let day = range.cursor?.day ?? dayBucket(range.toMs - 1);
  let after = range.cursor?.after;
  while (items.length < range.limit && day >= firstDay) {
    const page = await queryDay(day, range.limit - items.length, after);
    items.push(...page.items);
    after = page.lastKey;
    if (!after) day = previousDay(day);
  }
  if (day < firstDay) return { items };
  return { items, nextCursor: after ? { day, after } : { day } };
}
