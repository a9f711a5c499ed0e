/** Parsers of flag values shared by the CLIs: a bad value becomes commander's one-line usage error. */
import { InvalidArgumentError } from 'commander';
import { parseDateTimeText } from '../lambdas/core/timestamps.js';

export function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError('expected a positive whole number.');
  return value;
}

export function shareOfOne(text: string): number {
  const value = Number(text);
  if (!(value >= 0 && value <= 1)) throw new InvalidArgumentError('expected a share between 0 and 1.');
  return value;
}

/**
 * Milliseconds since the epoch of an ISO 8601 time, read as the API reads times: without a zone,
 * UTC (`Date.parse` took the machine's zone, and read `1` or `March 7` as times).
 */
export function isoTime(text: string): number {
  const ms = parseDateTimeText(text);
  if (ms === undefined) throw new InvalidArgumentError('expected an ISO 8601 time, e.g. 2026-01-31T12:00:00Z.');
  return ms;
}
