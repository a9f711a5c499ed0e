/**
 * Sums carried exactly: a value becomes an integer count of micro-units (1e-6), summed as a BigInt and
 * stored as a DynamoDB Number (exact to 38 digits). Ingest bounds |value| to `Limits.maxAbsValue` and
 * 6 decimals (docs/reliability.md, "Numeric contract"), so one value is at most 1e18 micro-units and
 * 1e20 of them still fit a counter: no sum over any range can pass DynamoDB's 38 digits.
 */
import { Limits } from '../../resources/limits.js';

const SCALE_DIGITS = Limits.valueFractionDigits;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal (a JSON number or the exact text DynamoDB returns) as micro-units, rounded half away from
 * zero at the sixth decimal. Undefined when the text is not a finite decimal.
 */
export function toMicros(value: number | string): bigint | undefined {
  if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
  const match = DECIMAL.exec(String(value).trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return undefined;
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  // Digits of the value times 10^(exponent + SCALE_DIGITS - fraction.length), as an integer and a shift.
  const digits = BigInt(`${whole}${fraction}` || '0');
  const shift = exponent + SCALE_DIGITS - fraction.length;
  // Anything below half a micro-unit rounds to zero; a huge shift can only come from a value far outside the contract.
  if (shift < -400 || shift > 400) return shift < 0 ? 0n : undefined;
  let micros: bigint;
  if (shift >= 0) micros = digits * 10n ** BigInt(shift);
  else {
    const divisor = 10n ** BigInt(-shift);
    micros = digits / divisor + ((digits % divisor) * 2n >= divisor ? 1n : 0n);
  }
  return sign === '-' ? -micros : micros;
}

/** Micro-units as the shortest exact decimal text: `1234500000n` is `"1234.5"`. */
export function formatMicros(micros: bigint): string {
  const negative = micros < 0n;
  const digits = (negative ? -micros : micros).toString().padStart(SCALE_DIGITS + 1, '0');
  const whole = digits.slice(0, -SCALE_DIGITS);
  const fraction = digits.slice(-SCALE_DIGITS).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** The nearest double to an exact sum: what JSON clients that read `sum` as a number get. */
export const microsToNumber = (micros: bigint): number => Number(formatMicros(micros));
