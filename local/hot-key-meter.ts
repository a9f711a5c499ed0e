/**
 * The hot-key meter: write and read units per partition key per second, as the local runtime's
 * handlers spend them, so the bench can name the hottest key of each kind and the single-project
 * ceiling it implies. DynamoDB serves at most 1,000 write units and 3,000 read units per second on
 * one partition key ("Best practices for designing and using partition keys effectively":
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html),
 * so a key that takes `u` write units per event caps its project at 1,000 / u events per second.
 *
 * DynamoDB reports consumed capacity per table and index, not per item: units per item are
 * estimated the way DynamoDB bills them (1 write unit per started KB of the item, twice inside a
 * transaction, 1 for a failed condition; an index entry 1 unit), reads split over the keys read.
 */

/** Partition kinds, by the item-key layouts of lambdas/core/item-keys.ts. */
export const KeyKinds = [
  'events',
  'index',
  'state',
  'counters',
  'markers',
  'checkpoints',
  'limiter',
  'rejections',
  'keys',
  'quarantine',
  'other',
] as const;
export type KeyKind = (typeof KeyKinds)[number];

export const WRITE_UNITS_PER_KEY_PER_SECOND = 1000;
export const READ_UNITS_PER_KEY_PER_SECOND = 3000;

type Tally = { units: number; perSecond: Map<number, number> };

export type HottestKey = {
  readonly kind: KeyKind;
  readonly key: string;
  readonly units: number;
  /** The most units the key took in one wall-clock second of the run. */
  readonly peakUnitsPerSecond: number;
  readonly unitsPerEvent: number;
  /** Events per second one project can send before this key reaches DynamoDB's per-key limit. */
  readonly projectCeilingEventsPerSecond: number;
};

export function kindOf(table: string, pk: string, index?: string): KeyKind {
  if (index !== undefined) return 'index';
  if (/EventsTable/i.test(table)) return 'events';
  if (/KeysTable/i.test(table)) return 'keys';
  const prefix = pk.split('#', 1)[0];
  switch (prefix) {
    case 'DEVICE':
    case 'SESSION':
      return 'state';
    case 'REJ':
      return 'rejections';
    case 'QUOTA':
    case 'NAME':
    case 'NAMES':
      return 'limiter';
    case 'C':
      return 'counters';
    case 'M':
      return 'markers';
    case 'MARK':
      return 'checkpoints';
    case 'QUARANTINE':
      return 'quarantine';
    default:
      return 'other';
  }
}

/** A key attribute as the document client (plain) or the low-level client (`{ S: … }`) sends it. */
const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof (value as { S?: unknown })?.S === 'string' ? String((value as { S: string }).S) : undefined;

/** Started kilobytes of an item, DynamoDB's write unit (names and values in UTF-8; close enough for a meter). */
const itemWriteUnits = (item: unknown): number => Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(item ?? {})) / 1024));

type Item = Record<string, unknown>;
type Action = { TableName: string; Item?: Item; Key?: Item };
/** The fields of the DynamoDB requests the meter reads (document or low-level client alike). */
type RequestInput = {
  TableName?: string;
  IndexName?: string;
  Item?: Item;
  Key?: Item;
  ExpressionAttributeValues?: Item;
  RequestItems?: Record<string, unknown>;
  TransactItems?: { Put?: Action; Update?: Action; Delete?: Action; ConditionCheck?: Action }[];
};

export class HotKeyMeter {
  readonly #writes = new Map<string, Tally>();
  readonly #reads = new Map<string, Tally>();

  constructor(private readonly now: () => number = Date.now) {}

  #tally(into: Map<string, Tally>, kind: KeyKind, pk: string, units: number): void {
    const id = `${kind}\u0000${pk}`;
    let tally = into.get(id);
    if (!tally) into.set(id, (tally = { units: 0, perSecond: new Map() }));
    tally.units += units;
    const second = Math.floor(this.now() / 1000);
    tally.perSecond.set(second, (tally.perSecond.get(second) ?? 0) + units);
  }

  #write(table: string, item: Record<string, unknown> | undefined, key: Record<string, unknown> | undefined, units: number): void {
    const pk = text((key ?? item)?.pk);
    if (pk !== undefined) this.#tally(this.#writes, kindOf(table, pk), pk, units);
    const listPk = text(item?.listPk);
    if (listPk !== undefined) this.#tally(this.#writes, 'index', listPk, 1);
  }

  /** One successful (or conditionally failed) DynamoDB request, with the capacity it reported. */
  record(command: string, request: Record<string, unknown>, readUnits: number, conditionFailed = false): void {
    const input = request as RequestInput;
    const table = String(input.TableName ?? '');
    switch (command) {
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem':
        this.#write(
          table,
          conditionFailed ? undefined : input.Item,
          input.Key ?? { pk: input.Item?.pk },
          conditionFailed || command !== 'PutItem' ? 1 : itemWriteUnits(input.Item),
        );
        return;
      case 'BatchWriteItem':
        for (const [name, requests] of Object.entries(input.RequestItems ?? {})) {
          for (const request of requests as {
            PutRequest?: { Item: Record<string, unknown> };
            DeleteRequest?: { Key: Record<string, unknown> };
          }[]) {
            if (request.PutRequest) this.#write(name, request.PutRequest.Item, undefined, itemWriteUnits(request.PutRequest.Item));
            if (request.DeleteRequest) this.#write(name, undefined, request.DeleteRequest.Key, 1);
          }
        }
        return;
      case 'TransactWriteItems':
        for (const action of input.TransactItems ?? []) {
          const put = action.Put;
          const other = action.Update ?? action.Delete ?? action.ConditionCheck;
          if (put) this.#write(put.TableName, put.Item, undefined, 2 * itemWriteUnits(put.Item));
          else if (other) this.#write(other.TableName, undefined, other.Key, 2);
        }
        return;
      case 'GetItem':
        this.#readKeys(table, [text(input.Key?.pk)], readUnits);
        return;
      case 'Query':
        this.#readKeys(table, [text(input.ExpressionAttributeValues?.[':pk'])], readUnits, input.IndexName);
        return;
      case 'BatchGetItem':
        for (const [name, request] of Object.entries(input.RequestItems ?? {})) {
          const keys = ((request as { Keys?: Item[] }).Keys ?? []).map((key) => text(key.pk));
          this.#readKeys(name, keys, readUnits / Object.keys(input.RequestItems ?? {}).length);
        }
        return;
    }
  }

  #readKeys(table: string, keys: (string | undefined)[], units: number, index?: string): void {
    const known = keys.filter((key): key is string => key !== undefined);
    for (const pk of known) this.#tally(this.#reads, kindOf(table, pk, index), pk, units / known.length);
  }

  /** The hottest key of each kind seen, by units over the run, with the ceiling it implies for `events` events. */
  hottest(events: number, access: 'write' | 'read' = 'write'): HottestKey[] {
    const perKey = access === 'write' ? WRITE_UNITS_PER_KEY_PER_SECOND : READ_UNITS_PER_KEY_PER_SECOND;
    const best = new Map<KeyKind, HottestKey>();
    for (const [id, tally] of access === 'write' ? this.#writes : this.#reads) {
      const [kind, key] = id.split('\u0000') as [KeyKind, string];
      if ((best.get(kind)?.units ?? -1) >= tally.units) continue;
      const unitsPerEvent = tally.units / Math.max(1, events);
      best.set(kind, {
        kind,
        key,
        units: Number(tally.units.toFixed(2)),
        peakUnitsPerSecond: Number(Math.max(...tally.perSecond.values()).toFixed(2)),
        unitsPerEvent: Number(unitsPerEvent.toPrecision(3)),
        projectCeilingEventsPerSecond: Math.round(perKey / unitsPerEvent),
      });
    }
    return KeyKinds.flatMap((kind) => (best.has(kind) ? [best.get(kind)!] : []));
  }
}
