/** Time ranges as the API takes them (ISO, `to` exclusive) and as `<input type="datetime-local">` shows them. */
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** `2026-11-24T10:30` in the browser's time zone, for datetime-local inputs. */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

export function fromLocalInput(value: string): string | undefined {
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The default range: the last `spanMs`, ending at the next whole hour so the current hour is in. */
export function lastRange(spanMs: number, now = Date.now()): { from: string; to: string } {
  const to = Math.ceil((now + 1) / HOUR) * HOUR;
  return { from: new Date(to - spanMs).toISOString(), to: new Date(to).toISOString() };
}

/** A time from the URL, or the fallback when it is missing or not a time (a hand-edited link must not break the page). */
export const isoOr = (value: string | undefined, fallback: string): string =>
  value !== undefined && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : fallback;

export const formatTime = (iso: string): string => new Date(iso).toLocaleString();

export function formatDuration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
