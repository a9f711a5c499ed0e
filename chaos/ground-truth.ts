/** Counters computed independently of Tidemark, from the rows a test sent. */
import { roundSum } from '../lambdas/core/aggregate-query.js';
export type SentRow = { event: string; deviceId: string; source?: string; value?: number; timestamp: string };

const HALF_HOUR = 30 * 60_000;

export class GroundTruth {
  readonly #rows = new Map<string, SentRow>();

  /** Records a row under its identity; resending the same identity changes nothing. */
  add(id: string, row: SentRow): void {
    this.#rows.set(id, row);
  }

  /** The rows plus the session_start the pipeline emits per (device, 30-minute bucket), 1 ms before its first event. */
  withSessionStarts(): SentRow[] {
    const first = new Map<string, SentRow>();
    for (const row of this.#rows.values()) {
      const key = `${row.deviceId}|${Math.floor(Date.parse(row.timestamp) / HALF_HOUR)}`;
      const current = first.get(key);
      if (!current || row.timestamp < current.timestamp) first.set(key, row);
    }
    const starts = [...first.values()].map((row) => ({
      event: 'session_start',
      deviceId: row.deviceId,
      ...(row.source === undefined ? {} : { source: row.source }),
      timestamp: new Date(Date.parse(row.timestamp) - 1).toISOString(),
    }));
    return [...this.#rows.values(), ...starts];
  }

  series(granularity: 'hour' | 'day', groupBy: 'none' | 'event' | 'source', events?: string[]) {
    const rows = this.withSessionStarts().filter((row) => !events || events.includes(row.event));
    const points = new Map<string, { bucket: string; event?: string; source?: string | null; count: number; sum: number; devices: Set<string> }>();
    for (const row of rows) {
      const bucket = granularity === 'hour' ? `${row.timestamp.slice(0, 13)}:00:00.000Z` : `${row.timestamp.slice(0, 10)}T00:00:00.000Z`;
      const event = groupBy === 'event' ? row.event : undefined;
      const source = groupBy === 'source' ? (row.source ?? null) : undefined;
      const key = JSON.stringify([bucket, event, source]);
      const point = points.get(key) ?? { bucket, ...(event === undefined ? {} : { event }), ...(source === undefined ? {} : { source }), count: 0, sum: 0, devices: new Set<string>() };
      point.count += 1;
      point.sum += row.value ?? 0;
      point.devices.add(row.deviceId);
      points.set(key, point);
    }
    const withUniques = granularity === 'day' && groupBy !== 'source' && (groupBy === 'event' || !events || events.length === 1);
    return [...points.values()]
      .map(({ devices, ...point }) => ({ ...point, sum: roundSum(point.sum), ...(withUniques ? { uniqueDevices: devices.size } : {}) }))
      .sort((a, b) => a.bucket.localeCompare(b.bucket) || (a.event ?? '').localeCompare(b.event ?? '') || String(a.source).localeCompare(String(b.source)));
  }
}
