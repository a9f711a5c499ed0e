/** What the client queues and sends: one row of a native `/v1/batch` body. */
export type QueuedEvent = {
  readonly eventId: string;
  readonly event: string;
  readonly timestamp: string;
  readonly deviceId: string;
  readonly userId?: string;
  readonly sessionId?: string;
  readonly source?: string;
  readonly value?: number;
  readonly properties: Record<string, unknown>;
  readonly context: Record<string, unknown>;
};

/**
 * The names the API promotes to `value` from a Segment message's `properties`, in its order of
 * preference (`FieldAliases.value` in lambdas/core/normalize.ts; a unit test holds the two equal).
 * The SDK promotes the same way before sending, so `track('purchase', { revenue: 12.5 })` is summed
 * like the same call through Segment's SDK.
 */
export const VALUE_PROPERTY_NAMES = ['value', 'amount', 'count', 'quantity', 'total', 'price', 'revenue'] as const;

const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** The value a call gives explicitly, else the first value-named property that holds a number (or a numeric string). */
export function eventValue(explicit: number | undefined, properties: Record<string, unknown>): number | undefined {
  if (explicit !== undefined) return explicit;
  for (const name of VALUE_PROPERTY_NAMES) {
    const candidate = properties[name];
    if (typeof candidate === 'number' && Number.isFinite(candidate)) return candidate;
    if (typeof candidate === 'string' && NUMERIC.test(candidate.trim())) return Number(candidate);
  }
  return undefined;
}
