/** Counters computed independently of Tidemark, from the rows a test sent. */
import { formatMicros, microsToNumber, toMicros } from '../lambdas/core/micro-units.js';
import { SYNTHETIC_SESSION_START } from '../lambdas/core/sessions.js';
export type SentRow = { event: string; deviceId: string; source?: string; value?: number; timestamp: string };

const HALF_HOUR = 30 * 60_000;

export class GroundTruth {
  readonly #rows = new Map<string, SentRow>();

  /** Records a row under its identity; resending the same identity changes nothing. */
  add(id: string, row: SentRow): void {
    this.#rows.set(id, row);
  }

  /**
   * The rows plus the synthetic start the pipeline emits per (device, 30-minute bucket), 1 ms before
   * its first event but never before the bucket starts.
   */
  withSessionStarts(): SentRow[] {
    const first = new Map<string, SentRow>();
    for (const row of this.#rows.values()) {
      const key = `${row.deviceId}|${Math.floor(Date.parse(row.timestamp) / HALF_HOUR)}`;
      const current = first.get(key);
      if (!current || row.timestamp < current.timestamp) first.set(key, row);
    }
    const starts = [...first.values()].map((row) => {
      const firstMs = Date.parse(row.timestamp);
      return {
        event: SYNTHETIC_SESSION_START,
        deviceId: row.deviceId,
        ...(row.source === undefined ? {} : { source: row.source }),
        timestamp: new Date(Math.max(firstMs - 1, firstMs - (firstMs % HALF_HOUR))).toISOString(),
      };
    });
    return [...this.#rows.values(), ...starts];
  }

  series(granularity: 'hour' | 'day', groupBy: 'none' | 'event' | 'source', events?: string[]) {
    const rows = this.withSessionStarts().filter((row) => !events || events.includes(row.event));
    const points = new Map<
      string,
      { bucket: string; event?: string; source?: string | null; count: number; sumMicros: bigint; devices: Set<string> }
    >();
    for (const row of rows) {
      const bucket = granularity === 'hour' ? `${row.timestamp.slice(0, 13)}:00:00.000Z` : `${row.timestamp.slice(0, 10)}T00:00:00.000Z`;
      const event = groupBy === 'event' ? row.event : undefined;
      const source = groupBy === 'source' ? (row.source ?? null) : undefined;
      const key = JSON.stringify([bucket, event, source]);
      const point = points.get(key) ?? {
        bucket,
        ...(event === undefined ? {} : { event }),
        ...(source === undefined ? {} : { source }),
        count: 0,
        sumMicros: 0n,
        devices: new Set<string>(),
      };
      point.count += 1;
      point.sumMicros += row.value === undefined ? 0n : toMicros(row.value)!;
      point.devices.add(row.deviceId);
      points.set(key, point);
    }
    const withUniques = granularity === 'day' && groupBy !== 'source' && (groupBy === 'event' || !events || events.length === 1);
    return [...points.values()]
      .map(({ devices, sumMicros, ...point }) => ({
        ...point,
        sum: microsToNumber(sumMicros),
        sumExact: formatMicros(sumMicros),
        ...(withUniques ? { uniqueDevices: devices.size } : {}),
      }))
      .sort(
        (a, b) =>
          a.bucket.localeCompare(b.bucket) ||
          (a.event ?? '').localeCompare(b.event ?? '') ||
          String(a.source).localeCompare(String(b.source)),
      );
  }
}
