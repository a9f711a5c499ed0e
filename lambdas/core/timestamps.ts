/**
 * Parses the timestamp formats that real fleets send. Everything without an explicit zone is read
 * as UTC: a device's local wall-clock time is unknowable here, and UTC is what Segment assumes.
 */

/** Epoch values below this are seconds, above it milliseconds (1e11 s is the year 5138). */
const SECONDS_CEILING = 1e11;

const NUMERIC = /^-?\d+(\.\d+)?$/;
// Seconds 00-59, as `toISOString` writes them: a leap second (`23:59:60.000Z`), which `Date.parse`
// refuses, takes the calendar path and is read as the next second there, as `23:59:60Z` always was.
const CANONICAL_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:[0-5]\d\.\d{3}Z$/;
// 2024-01-15, 2024/01/15, optionally followed by a time with `T` or a space, optionally a zone.
const CALENDAR = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** `2024-01-15T10:30:00.000Z`, exactly as `toISOString` writes it. */
export const isCanonicalIso = (text: string): boolean =>
  text.length === 24 && text[10] === 'T' && text[23] === 'Z' && CANONICAL_ISO.test(text);

/** Returns epoch milliseconds, or undefined when the value is not a timestamp we can read. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  // Fast path for what most SDKs send: `2024-01-15T10:30:00.000Z`.
  if (isCanonicalIso(text)) return validEpoch(Date.parse(text));
  if (NUMERIC.test(text)) return fromEpoch(Number(text));
  const match = CALENDAR.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const millis = Number(frac.padEnd(3, '0').slice(0, 3));
  let epoch = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    epoch -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return validEpoch(epoch);
}

/**
 * A date-time written as text (ISO 8601, or another calendar form `parseTimestamp` reads, without
 * a zone read as UTC), never an epoch number: for a field or flag documented as ISO 8601, where `5`
 * read as five seconds after 1970 would be a silent mistake.
 */
export function parseDateTimeText(value: unknown): number | undefined {
  return typeof value === 'string' && !NUMERIC.test(value.trim()) ? parseTimestamp(value) : undefined;
}

function fromEpoch(value: number): number | undefined {
  if (!Number.isFinite(value)) return undefined;
  return validEpoch(Math.round(Math.abs(value) < SECONDS_CEILING ? value * 1000 : value));
}

/** JavaScript dates stop at ±8.64e15 ms; anything before 1970 is a client bug, not an event. */
function validEpoch(epoch: number): number | undefined {
  return Number.isFinite(epoch) && epoch >= 0 && epoch <= 8.64e15 ? epoch : undefined;
}

/** Epoch ms of 10000-01-01: past it `toISOString` writes a six-digit signed year. */
const YEAR_10000 = 253_402_300_800_000;

/**
 * `new Date(epochMs).toISOString()`, for the 0-9999 years' range, at a fraction of its cost (it
 * runs several times per event). The calendar math is Howard Hinnant's `civil_from_days`.
 */
export function toIso(epochMs: number): string {
  if (!(epochMs >= 0 && epochMs < YEAR_10000) || !Number.isInteger(epochMs)) return new Date(epochMs).toISOString();
  const days = Math.floor(epochMs / 86_400_000);
  const msOfDay = epochMs - days * 86_400_000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(msOfDay / 3_600_000);
  const minutes = Math.floor(msOfDay / 60_000) % 60;
  const seconds = Math.floor(msOfDay / 1000) % 60;
  const millis = msOfDay % 1000;
  const yyyy = year >= 1000 ? String(year) : String(year).padStart(4, '0');
  return `${yyyy}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[millis]}Z`;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
/** `2024-01-15T10` */
export const hourBucket = (epochMs: number): string => toIso(epochMs).slice(0, 13);
/** `2024-01-15` */
export const dayBucket = (epochMs: number): string => toIso(epochMs).slice(0, 10);

/** Whole seconds since the epoch, as DynamoDB's TTL attribute counts them. */
export const epochSeconds = (epochMs: number): number => Math.floor(epochMs / 1000);

/** The UTC days (`YYYY-MM-DD`) a range `[fromMs, toMs)` touches, oldest first. */
export function daysOfRange(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  for (let day = Math.floor(fromMs / 86_400_000) * 86_400_000; day < toMs; day += 86_400_000) days.push(dayBucket(day));
  return days;
}
