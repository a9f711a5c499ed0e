/**
 * Per-project caps that bound what a client can make the stack keep: distinct event names and
 * sources (each new one adds counter items and widens every aggregate query), and rejected rows
 * kept for audit per UTC day (a flood of garbage rows would otherwise cost a write each). Pure:
 * the decisions; adapters/name-registry.ts and adapters/rejection-budget.ts do the writes.
 */
import { RejectionReason, type NormalizedEvent, type Rejection } from './types.js';

export type ProjectCaps = {
  /** Distinct event names a project may use; names in use keep working when the cap is reached or lowered. */
  readonly eventNames: number;
  /** Distinct sources a project may use, likewise. */
  readonly sources: number;
  /** Rejected rows kept for audit per UTC day; the rest are counted, not kept. */
  readonly rejectionsKeptPerDay: number;
};

export const CapNames = ['eventNames', 'sources', 'rejectionsKeptPerDay'] as const satisfies readonly (keyof ProjectCaps)[];

/** The two name kinds a project's cardinality is counted in, and the cap of each. */
export const NameKinds = { event: 'eventNames', source: 'sources' } as const satisfies Record<string, keyof ProjectCaps>;
export type NameKind = keyof typeof NameKinds;

export type NamesInUse = Readonly<Record<NameKind, readonly string[]>>;
export type RefusedNames = Readonly<Record<NameKind, ReadonlySet<string>>>;

/** The distinct event names and sources of a request's accepted rows: what the registry is asked about, once each. */
export function namesInUse(events: readonly Pick<NormalizedEvent, 'event' | 'source'>[]): NamesInUse {
  const event = new Set<string>();
  const source = new Set<string>();
  for (const row of events) {
    event.add(row.event);
    if (row.source !== undefined) source.add(row.source);
  }
  return { event: [...event], source: [...source] };
}

/** The reason a row is refused: which of its names is new past which cap, and how to raise it. */
export function cardinalityRejection(index: number, kind: NameKind, name: string, projectId: string, cap: number): Rejection {
  const limit = NameKinds[kind];
  const flag = kind === 'event' ? '--event-names' : '--sources';
  return {
    index,
    reason: RejectionReason.cardinality,
    error:
      `${kind === 'event' ? 'event name' : 'source'} '${name.slice(0, 128)}' is new and the project already uses its ${limit} cap of ${cap} distinct ` +
      `${kind === 'event' ? 'event names' : 'sources'}; names already in use keep working. An operator can raise it with ` +
      `\`tidemark limits set --project ${projectId} ${flag} N\`.`,
    retryable: false,
  };
}

/**
 * Splits accepted rows into those whose names the registry admitted and the rejections of the
 * others (a refused event name is named first when both are refused).
 */
export function applyCardinality<T extends { readonly index: number; readonly event: Pick<NormalizedEvent, 'event' | 'source'> }>(
  rows: readonly T[],
  refused: RefusedNames,
  caps: Pick<ProjectCaps, 'eventNames' | 'sources'>,
  projectId: string,
): { admitted: T[]; rejected: Rejection[] } {
  const admitted: T[] = [];
  const rejected: Rejection[] = [];
  for (const row of rows) {
    const { event, source } = row.event;
    if (refused.event.has(event)) rejected.push(cardinalityRejection(row.index, 'event', event, projectId, caps.eventNames));
    else if (source !== undefined && refused.source.has(source))
      rejected.push(cardinalityRejection(row.index, 'source', source, projectId, caps.sources));
    else admitted.push(row);
  }
  return { admitted, rejected };
}

/**
 * A count kept in `shards` items so that no item is hot: the share of `cap` that shard `shard`
 * holds. The shares add up to exactly `cap` (the first `cap % shards` shards take one more), so a
 * caller that walks every shard before giving up never keeps more than the cap.
 */
export const shardShare = (cap: number, shards: number, shard: number): number => Math.floor(cap / shards) + (shard < cap % shards ? 1 : 0);

/**
 * Names counted per shard before the registry spreads a cap over more items: a new name is rare
 * (at most the cap of them ever succeed), so one counter item carries a small cap exactly, and a
 * large one is spread so that a burst of first names does not queue on one key.
 */
export const NAMES_PER_COUNTER_SHARD = 64;
export const MAX_NAME_COUNTER_SHARDS = 8;

export const nameCounterShards = (cap: number): number =>
  Math.min(MAX_NAME_COUNTER_SHARDS, Math.max(1, Math.ceil(cap / NAMES_PER_COUNTER_SHARD)));

/**
 * How many of `asked` slots a counter shard grants, given what it counted after adding them
 * (DynamoDB's `ADD` returns the new total, so concurrent callers never both take the last slot).
 */
export function slotsGranted(totalAfter: number, asked: number, share: number): number {
  const before = totalAfter - asked;
  return Math.max(0, Math.min(asked, share - before));
}
