/** Parsers of flag values shared by the CLIs: a bad value becomes commander's one-line usage error. */
import { InvalidArgumentError } from 'commander';

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

/** Milliseconds since the epoch of an ISO 8601 time. */
export function isoTime(text: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('expected an ISO 8601 time, e.g. 2026-01-31T12:00:00Z.');
  return ms;
}
