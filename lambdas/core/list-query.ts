/**
 * Parameters of the listing endpoints (`/v1/events`, `/v1/rejections`): time range, limit, and the
 * cursor as sent (opened and checked by `openCursor` against the project and filters).
 */
import { ReadApi } from '../../resources/read-api.js';
import { BadRequestError } from './errors.js';
import { parseTimestamp } from './timestamps.js';

export type ListQuery = { readonly fromMs: number; readonly toMs: number; readonly limit: number; readonly cursor?: string };

const DAY_MS = 86_400_000;

/**
 * `from` and `to` of a read over recent data: `to` defaults to now (exclusive), `from` to a day before
 * `to`, and the range may span at most `maxDays`.
 */
export function parseRecentRange(
  params: Readonly<Record<string, string | undefined>>,
  nowMs: number,
  maxDays: number,
): { fromMs: number; toMs: number } {
  const time = (name: 'from' | 'to', fallback: number) => {
    const raw = params[name];
    if (!raw) return fallback;
    const value = parseTimestamp(raw);
    if (value === undefined) throw new BadRequestError(`\`${name}\` is not a time: '${raw.slice(0, 64)}'.`, 'invalid_parameter');
    return value;
  };
  const toMs = time('to', nowMs + 1);
  const fromMs = time('from', toMs - DAY_MS);
  if (toMs <= fromMs) throw new BadRequestError('`to` must be after `from` (`to` is exclusive).', 'invalid_range');
  if (toMs - fromMs > maxDays * DAY_MS) throw new BadRequestError(`Range is wider than ${maxDays} days; narrow it.`, 'range_too_wide');
  return { fromMs, toMs };
}

export function parseListQuery(params: Readonly<Record<string, string | undefined>>, nowMs: number): ListQuery {
  const { fromMs, toMs } = parseRecentRange(params, nowMs, ReadApi.maxRecentRangeDays);
  const limit = params.limit === undefined ? ReadApi.defaultListLimit : Number(params.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > ReadApi.maxListLimit) {
    throw new BadRequestError(`\`limit\` must be an integer from 1 to ${ReadApi.maxListLimit}.`, 'invalid_parameter');
  }
  return { fromMs, toMs, limit, ...(params.cursor === undefined ? {} : { cursor: params.cursor }) };
}
