/**
 * A daily EventBridge schedule, locally: runs a handler at a fixed UTC time every day while the
 * runtime is up, with the scheduled time as the event's `time` (as EventBridge sends it). A day the
 * runtime was down is not caught up, as on AWS; the next run covers every day that needs it.
 */
import { invoke, type LambdaHandler } from './invoke.js';

export type DailyTime = { readonly hourUtc: number; readonly minuteUtc: number };

const DAY_MS = 86_400_000;

/** The first run strictly after `nowMs`. */
export function nextDailyRunMs(nowMs: number, at: DailyTime): number {
  const day = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const today = day + (at.hourUtc * 60 + at.minuteUtc) * 60_000;
  return today > nowMs ? today : today + DAY_MS;
}

export type DailyScheduleOptions = {
  readonly functionName: string;
  readonly handler: LambdaHandler<{ time: string }, unknown>;
  readonly at: DailyTime;
  readonly timeoutSeconds: number;
  readonly onError: (error: unknown) => void;
  readonly now?: () => number;
};

/** Starts the schedule; the returned function stops it (a run in progress is awaited). */
export function startDailySchedule(options: DailyScheduleOptions): () => Promise<void> {
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const arm = () => {
    const at = nextDailyRunMs(now(), options.at);
    timer = setTimeout(() => {
      running = invoke(options.functionName, options.handler, { time: new Date(at).toISOString() }, options.timeoutSeconds)
        .catch(options.onError)
        .finally(() => {
          if (!stopped) arm();
        });
    }, at - now());
    timer.unref();
  };
  arm();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
