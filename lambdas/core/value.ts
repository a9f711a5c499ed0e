/**
 * The numeric contract of `value` (docs/reliability.md, "Numeric contract"): |value| at most
 * `Limits.maxAbsValue`, kept to `Limits.valueFractionDigits` decimal places. A sum of accepted values
 * is then an integer number of micro-units, which DynamoDB's 38 significant digits hold exactly for
 * more events than any project will send (1e38 / 1e18 per event), so no accepted value can make a
 * put, a counter update or a read fail.
 */
import { Limits } from '../../resources/limits.js';

export type CheckedValue = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };

/**
 * The value as queued: the nearest multiple of 10^-6 to its exact binary value (`toFixed`, which
 * is defined on that exact value, not on a decimal rendering), so whoever reads the queued number
 * (the processor, the aggregator's micro-units) derives the same digits. `-0` becomes `0`.
 */
export function roundValue(value: number): number {
  return Number(value.toFixed(Limits.valueFractionDigits)) + 0;
}

export function checkValue(value: number): CheckedValue {
  if (!Number.isFinite(value)) return { ok: false, error: 'value: must be a finite number' };
  if (Math.abs(value) > Limits.maxAbsValue) {
    return { ok: false, error: `value: must be at most ${Limits.maxAbsValue.toExponential()} in magnitude (maxAbsValue); got ${value}` };
  }
  return { ok: true, value: roundValue(value) };
}
