/**
 * What the OpenPanel tests share: offline events as an OpenPanel app buffers them (`__timestamp`
 * hours in the past), and the check that they landed once, in their own hours and sessions.
 */
import { expect } from 'vitest';
import { DemoProject, eventually, request } from './local.js';

const HOUR = 3_600_000;

export type OfflineEvent = { readonly name: string; readonly properties: Record<string, unknown> };

/** One event per hour, `hours` hours back from `now`, each with `value` i + 1 and at 10 past the hour. */
export function offlineEvents(name: string, deviceId: string, hours: number, now = Date.now()): OfflineEvent[] {
  const thisHour = Math.floor(now / HOUR) * HOUR;
  return Array.from({ length: hours }, (_, i) => ({
    name,
    properties: {
      __timestamp: new Date(thisHour - (hours - i) * HOUR + 10 * 60_000).toISOString(),
      __deviceId: deviceId,
      value: i + 1,
      step: i,
    },
  }));
}

/** The `/track/batch` body of the same events, as OpenPanel's offline batch sends them. */
export const trackBatchOf = (events: readonly OfflineEvent[]) => ({ events: events.map((payload) => ({ type: 'track', payload })) });

type Stored = {
  event: string;
  timestamp: string;
  sessionId: string;
  value?: number;
  deviceId: string;
  source?: string;
  properties: Record<string, unknown>;
};

/** Waits until every offline event is stored and counted, then checks each is there once, in its own hour and session. */
export async function expectLandedOnce(url: string, events: readonly OfflineEvent[]): Promise<Stored[]> {
  const { name } = events[0]!;
  const deviceId = events[0]!.properties.__deviceId as string;
  const times = events.map((e) => e.properties.__timestamp as string);
  const from = new Date(Date.parse(times[0]!) - HOUR).toISOString();
  const to = new Date(Date.now() + HOUR).toISOString();
  const series = await eventually(
    async () =>
      (await request(`${url}/v1/aggregates?event=${name}&from=${from}&to=${to}&granularity=hour`, { key: DemoProject.secretKey })).body
        .series as { bucket: string; count: number; sum: number }[],
    (points) => points?.reduce((sum, p) => sum + p.count, 0) === events.length,
  );
  expect(series.map(({ bucket, count, sum }) => ({ bucket, count, sum }))).toEqual(
    events.map((e, i) => ({ bucket: `${times[i]!.slice(0, 13)}:00:00.000Z`, count: 1, sum: e.properties.value })),
  );
  const reply = await request(`${url}/v1/events?event=${name}&deviceId=${encodeURIComponent(deviceId)}&limit=100`, {
    key: DemoProject.secretKey,
  });
  const stored = (reply.body.events as Stored[]).sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  expect(stored.map((e) => e.timestamp)).toEqual(times);
  expect(stored.map((e) => e.value)).toEqual(events.map((e) => e.properties.value));
  expect(new Set(stored.map((e) => e.sessionId)).size).toBe(events.length);
  for (const event of stored) expect(event.properties).not.toHaveProperty('__timestamp');
  return stored;
}
