/**
 * In-memory fakes of the use cases' ports, with the semantics of the real stores that the rules
 * depend on (conditional puts, lock ownership, all-or-nothing commits conditional on the mark).
 */
import { MarkMovedError, UnappliableError } from '../../lambdas/aggregate/aggregate.js';
import type { Commit, CounterStore, ShardRef } from '../../lambdas/aggregate/ports.js';
import type { CounterRow } from '../../lambdas/core/aggregate-query.js';
import type { EventName, UniqueMarker } from '../../lambdas/core/aggregation.js';
import { NameKinds, type NameKind, type ProjectCaps } from '../../lambdas/core/project-caps.js';
import { dayBucket } from '../../lambdas/core/timestamps.js';
import type { QueueMessage } from '../../lambdas/core/packing.js';
import type { RejectedRow, StoredEvent } from '../../lambdas/core/types.js';
import type { DeviceState } from '../../resources/api-answers.js';
import type { EventQueue, IngestDependencies, UnsentMessage } from '../../lambdas/ingest/ports.js';
import type { ProcessDependencies, PutOutcome, StoredCopy } from '../../lambdas/process/ports.js';
import { sortKeyBounds, type DayCursor, type DayRange } from '../../lambdas/core/day-range.js';
import type { EventFilter, QueryDependencies } from '../../lambdas/query/ports.js';

/** A queue that takes every message unless `refuse` says how it fails. */
export class MemoryEventQueue implements EventQueue {
  readonly sent: QueueMessage[] = [];
  constructor(private readonly refuse: (message: QueueMessage) => Omit<UnsentMessage, 'message'> | undefined = () => undefined) {}

  async send(messages: readonly QueueMessage[]) {
    const unsent: UnsentMessage[] = [];
    for (const message of messages) {
      const failure = this.refuse(message);
      if (failure) unsent.push({ message, ...failure });
      else this.sent.push(message);
    }
    return { unsent };
  }
}

/**
 * The ingest ports in memory: the queue, both rejection stores, a registry of names per project held
 * to the caps it is given (a name registered once stays admitted), and a daily budget of kept rejections per project.
 */
export const memoryIngestPorts = (queue = new MemoryEventQueue()) => {
  const rejections: RejectedRow[] = [];
  const names = new Map<string, Set<string>>();
  const budget = new Map<string, { kept: number; notKept: number }>();
  const admitted = (projectId: string, kind: NameKind, name: string, caps: Pick<ProjectCaps, 'eventNames' | 'sources'>) => {
    const known = names.get(`${projectId}|${kind}`) ?? new Set<string>();
    names.set(`${projectId}|${kind}`, known);
    if (known.has(name)) return true;
    if (known.size >= caps[NameKinds[kind]]) return false;
    known.add(name);
    return true;
  };
  const ports: IngestDependencies = {
    queue,
    recordRejections: async (_projectId, rows) => void rejections.push(...rows),
    maxEventAgeDays: 5,
    admitNames: async (projectId, inUse, caps) => ({
      event: new Set(inUse.event.filter((name) => !admitted(projectId, 'event', name, caps))),
      source: new Set(inUse.source.filter((name) => !admitted(projectId, 'source', name, caps))),
    }),
    rejectionsToKeep: async (projectId, receivedAtMs, rows, keptPerDay) => {
      const key = `${projectId}|${dayBucket(receivedAtMs)}`;
      const day = budget.get(key) ?? { kept: 0, notKept: 0 };
      budget.set(key, day);
      const kept = Math.min(rows, keptPerDay - day.kept);
      day.kept += kept;
      day.notKept += rows - kept;
      return kept;
    },
  };
  return { ports, queue, rejections, budget };
};

/**
 * The process ports in memory: events stored once by id (a different fingerprint is a conflict),
 * session locks owned by the first event that takes them, device state, conflicts kept.
 */
export class MemoryProcessPorts implements ProcessDependencies {
  readonly stored = new Map<string, StoredEvent>();
  readonly locks = new Map<string, string>();
  readonly devices = new Map<string, DeviceState>();
  readonly conflicted: StoredEvent[] = [];
  /** Throws this for a put of the event id, before storing it. */
  failPut: (event: StoredEvent) => Error | undefined = () => undefined;

  readonly events = {
    putIfAbsent: async (event: StoredEvent): Promise<PutOutcome> => {
      const fault = this.failPut(event);
      if (fault) throw fault;
      const key = `${event.projectId}|${event.eventId}`;
      const existing = this.stored.get(key);
      if (!existing) {
        this.stored.set(key, event);
        return 'stored';
      }
      return existing.fingerprint === undefined || existing.fingerprint === event.fingerprint ? 'duplicate' : 'conflict';
    },
  };

  storedCopies = async (projectId: string, eventIds: readonly string[]): Promise<ReadonlyMap<string, StoredCopy>> => {
    const copies = new Map<string, StoredCopy>();
    for (const id of eventIds) {
      const event = this.stored.get(`${projectId}|${id}`);
      if (event)
        copies.set(id, {
          sessionId: event.sessionId,
          timestamp: event.timestamp,
          ...(event.fingerprint === undefined ? {} : { fingerprint: event.fingerprint }),
        });
    }
    return copies;
  };

  acquireSessionLock = async (projectId: string, deviceId: string, sessionId: string, ownerEventId: string): Promise<boolean> => {
    const key = `${projectId}|${deviceId}|${sessionId}`;
    const owner = this.locks.get(key);
    if (owner !== undefined && owner !== ownerEventId) return false;
    this.locks.set(key, ownerEventId);
    return true;
  };

  advanceDevice = async (projectId: string, state: DeviceState): Promise<void> => {
    const key = `${projectId}|${state.deviceId}`;
    const current = this.devices.get(key);
    if (!current || current.lastSeen < state.lastSeen) this.devices.set(key, state);
  };

  recordConflicts = async (_projectId: string, events: readonly StoredEvent[]): Promise<void> => void this.conflicted.push(...events);

  storedNamed(event: string): StoredEvent[] {
    return [...this.stored.values()].filter((stored) => stored.event === event);
  }
}

/** A counter store with DynamoDB's transaction semantics: all or nothing, conditional on the shard's mark. */
export class MemoryCounterStore implements CounterStore {
  readonly marks = new Map<string, string>();
  readonly markers = new Map<string, string>();
  /** Counter items by `pk|sk`, with the attributes the adapter writes. */
  readonly counters = new Map<string, CounterRow>();
  /** Partitions read through `queryPartition` and `eventNames`, in order: what a query touched. */
  readonly reads: string[] = [];
  readonly quarantine = new Map<string, string>();
  /** Recorded event names, by `pk|sk`. */
  readonly names = new Map<string, string>();
  /** Throws this before the commit's effects, once per entry. */
  readonly faults: Error[] = [];
  refuse = (_commit: Commit) => false;
  commits = 0;

  async readMark(shard: ShardRef) {
    return this.marks.get(shard.shardId);
  }
  async claimMarker(marker: UniqueMarker) {
    const key = `${marker.pk}|${marker.sk}`;
    const owner = this.markers.get(key);
    if (owner !== undefined && owner !== marker.ownerEventId) return false;
    this.markers.set(key, marker.ownerEventId);
    return true;
  }
  async recordEventName(name: EventName) {
    this.names.set(`${name.pk}|${name.sk}`, name.event);
  }
  async commit(commit: Commit) {
    const fault = this.faults.shift();
    if (fault) throw fault;
    if (this.marks.get(commit.shard.shardId) !== commit.previous) throw new MarkMovedError(commit.shard);
    if (this.refuse(commit)) throw new UnappliableError('ValidationError');
    this.commits++;
    this.marks.set(commit.shard.shardId, commit.last);
    for (const c of commit.counters) {
      const key = `${c.pk}|${c.sk}`;
      const current = this.counters.get(key);
      this.counters.set(key, {
        kind: c.kind,
        bucket: c.bucket,
        ...(c.event === undefined ? {} : { event: c.event }),
        ...(c.source === undefined ? {} : { source: c.source }),
        count: (current?.count ?? 0) + c.count,
        sumMicros: (current?.sumMicros ?? 0n) + c.sumMicros,
      });
    }
    for (const q of commit.quarantined) this.quarantine.set(q.sequenceNumber, q.raw);
  }
  async queryPartition(pk: string, fromSk: string, toSk: string): Promise<CounterRow[]> {
    this.reads.push(pk);
    return [...this.counters].flatMap(([key, row]) => {
      const [itemPk, sk] = key.split('|') as [string, string];
      return itemPk === pk && sk >= fromSk && sk <= toSk ? [row] : [];
    });
  }
  async eventNames(pk: string): Promise<string[]> {
    this.reads.push(pk);
    return [...this.names].flatMap(([key, event]) => (key.startsWith(`${pk}|`) ? [event] : []));
  }
  total(kind: 'C' | 'U') {
    // A counter's sort key is `bucket#C#source` or `bucket#U`, whatever its shard.
    return [...this.counters].filter(([key]) => key.split('|')[1]!.split('#')[1] === kind).reduce((sum, [, c]) => sum + c.count, 0);
  }
}

/** The listing key of a stored event, as the events index sorts it: time, then id. */
const listKeyOf = (event: StoredEvent) => `${event.timestamp}#${event.eventId}`;

/**
 * The read ports in memory: events listed newest first a page at a time with the store's cursor
 * (the day and the last key read), counter rows by partition, rejections and devices by project.
 */
export class MemoryQueryPorts implements QueryDependencies {
  readonly cursorSecret = 'test-cursor-secret';
  readonly stored: StoredEvent[] = [];
  readonly counterRows = new Map<string, CounterRow[]>();
  /** Event names recorded, by names partition. */
  readonly eventNamesByPartition = new Map<string, string[]>();
  /** Rejected rows not kept past the daily cap, by project and day. */
  readonly notKeptByDay = new Map<string, number>();
  readonly rejected = new Map<string, RejectedRow[]>();
  readonly deviceStates = new Map<string, DeviceState>();
  /** Every filter the events were listed with, in order. */
  readonly listed: EventFilter[] = [];

  readonly events = {
    list: async (filter: EventFilter): Promise<{ events: StoredEvent[]; nextCursor?: DayCursor }> => {
      this.listed.push(filter);
      const bounds = sortKeyBounds(filter);
      const before = typeof filter.cursor?.after?.listSk === 'string' ? filter.cursor.after.listSk : undefined;
      const matching = this.stored
        .filter((e) => e.projectId === filter.projectId && listKeyOf(e) >= bounds.from && listKeyOf(e) <= bounds.to)
        .filter(
          (e) =>
            (before === undefined || listKeyOf(e) < before) &&
            (filter.cursor === undefined || dayBucket(Date.parse(e.timestamp)) <= filter.cursor.day),
        )
        .filter(
          (e) =>
            (filter.event ?? e.event) === e.event &&
            (filter.deviceId ?? e.deviceId) === e.deviceId &&
            (filter.source ?? e.source) === e.source,
        )
        .sort((a, b) => listKeyOf(b).localeCompare(listKeyOf(a)));
      const events = matching.slice(0, filter.limit);
      const last = events.at(-1);
      if (!last || events.length === matching.length) return { events };
      return { events, nextCursor: { day: dayBucket(Date.parse(last.timestamp)), after: { listSk: listKeyOf(last) } } };
    },
  };

  readonly aggregates = {
    eventNames: async (pk: string): Promise<string[]> => this.eventNamesByPartition.get(pk) ?? [],
    queryPartition: async (pk: string): Promise<CounterRow[]> => this.counterRows.get(pk) ?? [],
  };

  readonly rejectionBudget = {
    notKept: async (projectId: string, days: readonly string[]) =>
      days.reduce((sum, day) => sum + (this.notKeptByDay.get(`${projectId}|${day}`) ?? 0), 0),
  };

  readonly rejections = {
    listRejections: async (projectId: string, range: DayRange) => ({ rows: (this.rejected.get(projectId) ?? []).slice(0, range.limit) }),
  };

  readonly devices = {
    getDevice: async (projectId: string, deviceId: string) => this.deviceStates.get(`${projectId}|${deviceId}`),
  };
}
