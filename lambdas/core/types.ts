export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Which endpoint a row came through; only `import` has no age floor and needs the secret key. */
export type IngestMode = 'batch' | 'track' | 'import';

export const RejectionReason = {
  validation: 'validation',
  tooOld: 'too_old',
  tooLarge: 'too_large',
  unsupported: 'unsupported',
  internal: 'internal',
  /** An event whose id was already stored with different content: kept for audit, never stored over the first. */
  conflict: 'conflict',
  /** A new event name or source past the project's cap of distinct ones (`ProjectCapDefaults`); names in use keep working. */
  cardinality: 'cardinality',
} as const;
export type RejectionReason = (typeof RejectionReason)[keyof typeof RejectionReason];

export type Rejection = {
  readonly index: number;
  readonly reason: RejectionReason;
  readonly error: string;
  readonly retryable: boolean;
};

/** An event after normalization: canonical names, corrected time, ready to queue. */
export type NormalizedEvent = {
  eventId: string;
  event: string;
  deviceId: string;
  userId?: string;
  sessionId?: string;
  source?: string;
  value?: number;
  /** Corrected event time, ISO 8601. */
  timestamp: string;
  /** The time the client sent, ISO 8601 (receive time when it sent none). */
  originalTimestamp: string;
  receivedAt: string;
  properties: JsonObject;
  context?: JsonObject;
  /**
   * SHA-256 of the event's content as the client sent it (`eventFingerprint`): the same for every
   * resend of one event whatever its `sentAt`, receive time or skew correction, different when the
   * same id carries other content. Absent on events the pipeline makes itself (`session_start`).
   */
  fingerprint?: string;
};

/** An event as stored by the processor: normalized plus session and enrichment. */
export type StoredEvent = NormalizedEvent & {
  projectId: string;
  sessionId: string;
};

/**
 * A rejected row kept for audit. Rows rejected at ingest carry their request's id and their index
 * in it; a `conflict` found by the processor has no request, and carries the event id instead.
 */
export type RejectedRow = (Rejection | (Omit<Rejection, 'index'> & { readonly eventId: string })) & {
  readonly receivedAt: string;
  readonly requestId: string;
  readonly row: string;
};
