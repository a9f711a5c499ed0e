import type { NormalizeContext } from '../../lambdas/core/normalize.js';

export const RECEIVED_AT = Date.parse('2024-01-20T12:00:00.000Z');

export const normalizeContext = (overrides: Partial<NormalizeContext> = {}): NormalizeContext => ({
  mode: 'batch',
  receivedAt: RECEIVED_AT,
  maxEventAgeDays: 5,
  futureToleranceMs: 10 * 60_000,
  skewThresholdMs: 60_000,
  maxEventBytes: 64 * 1024,
  ...overrides,
});
