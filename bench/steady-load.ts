/**
 * Freshness at a steady load: batches offered at a fixed rate (open loop: each batch leaves at its
 * scheduled time, whether or not earlier ones were answered), and for each the time from its 202
 * to the first poll of `/v1/aggregates` whose total covers it. Unlike the backlog run, whose
 * freshness is mostly queueing behind the batches sent before, this is what a project sending at
 * that rate sees: the pipeline's own latency (queue polling, the stream's batching window, the
 * counter transaction) plus at most one poll interval.
 */
import { performance } from 'node:perf_hooks';

export type SteadyLoadResult = {
  readonly offeredEventsPerSecond: number;
  readonly seconds: number;
  readonly events: number;
  readonly freshnessP50Ms: number;
  readonly freshnessP99Ms: number;
};

export type SteadyLoad = {
  /** The batches to offer, in order; each is one request. */
  readonly batches: readonly object[][];
  /** Rows each batch adds to the counters once counted (its events and their session starts). */
  readonly countedPerBatch: number;
  readonly eventsPerBatch: number;
  readonly eventsPerSecond: number;
  /** Sends one batch; resolves when it is accepted. */
  readonly send: (batch: object[]) => Promise<void>;
  /** The counters' total now. */
  readonly countedTotal: () => Promise<number>;
  /** What the counters held before the load started. */
  readonly baseline: number;
};

/** How often the counters are read: the resolution of each freshness figure. */
const POLL_MS = 200;

export const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export async function measureSteadyFreshness(load: SteadyLoad): Promise<SteadyLoadResult> {
  const intervalMs = (1000 * load.eventsPerBatch) / load.eventsPerSecond;
  const started = performance.now();
  const acceptedAt: number[] = [];
  let accepted = 0;
  const sends = load.batches.map(async (batch, i) => {
    const wait = started + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await load.send(batch);
    accepted += 1;
    acceptedAt.push(performance.now());
  });
  const expected = load.baseline + load.batches.length * load.countedPerBatch;
  const counted: { at: number; total: number }[] = [];
  const polling = (async () => {
    for (;;) {
      const total = await load.countedTotal();
      counted.push({ at: performance.now(), total });
      if (total >= expected && accepted === load.batches.length) return;
      if (performance.now() - started > 10 * 60_000) throw new Error(`steady load not counted after 10 minutes: ${total} of ${expected}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();
  await Promise.all(sends);
  const seconds = (performance.now() - started) / 1000;
  await polling;
  // The k-th accepted batch is fresh at the first poll covering k batches: acceptance order, so a
  // batch counted before an earlier one is dated by the later one, never earlier than it was.
  const freshness = acceptedAt
    .map(
      (at, k) =>
        (counted.find((c) => c.at >= at && c.total >= load.baseline + (k + 1) * load.countedPerBatch)?.at ?? counted.at(-1)!.at) - at,
    )
    .sort((a, b) => a - b);
  return {
    offeredEventsPerSecond: Math.round(load.eventsPerSecond),
    seconds: Number(seconds.toFixed(1)),
    events: load.batches.length * load.eventsPerBatch,
    freshnessP50Ms: Math.round(percentile(freshness, 50)),
    freshnessP99Ms: Math.round(percentile(freshness, 99)),
  };
}
