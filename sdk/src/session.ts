/**
 * Client sessions, as Amplitude's and PostHog's SDKs keep them: a session lasts while events keep
 * coming less than `timeoutMs` apart, and at most `maxLengthMs`. The session and its last activity
 * are persisted, so an app restarted within the timeout continues the session and one restarted
 * later starts a new one. An event is assigned its session when it is tracked and keeps it in the
 * queue, so every resend carries the same id.
 */
import type { KeyValueStore } from './storage/types.js';
import { uuidv7 } from './uuid.js';

export type SessionLimits = { readonly timeoutMs: number; readonly maxLengthMs: number };

type Session = { readonly id: string; readonly startedAt: number; lastActivityAt: number };

const KEY = 'session';

export class SessionClock {
  #current: Session | undefined;
  #saving: Promise<void> = Promise.resolve();
  #dirty = false;

  constructor(
    private readonly store: KeyValueStore,
    private readonly limits: SessionLimits,
  ) {}

  async load(): Promise<void> {
    const saved = await this.store.getItem(KEY);
    this.#current = saved ? (JSON.parse(saved) as Session) : undefined;
  }

  /**
   * The session of an event at `at` (epoch ms), starting a new one when the current one timed out
   * or reached its maximum length. An event from before the current session began (a backdated
   * `timestamp`) gets none: the server then places it by its own rule.
   */
  sessionAt(at: number): string | undefined {
    const current = this.#current;
    if (current && at < current.startedAt) return undefined;
    if (current && at - current.lastActivityAt < this.limits.timeoutMs && at - current.startedAt < this.limits.maxLengthMs) {
      current.lastActivityAt = Math.max(current.lastActivityAt, at);
    } else {
      this.#current = { id: uuidv7(at), startedAt: at, lastActivityAt: at };
    }
    this.#save();
    return this.#current!.id;
  }

  /** Ends the current session: the next event starts a new one (e.g. on logout). */
  end(): void {
    this.#current = undefined;
    this.#saving = this.#saving.then(() => this.store.removeItem(KEY)).catch(() => undefined);
  }

  /** Resolves once the latest state is on storage. */
  flushed(): Promise<void> {
    return this.#saving;
  }

  /** One write in flight at a time, always of the latest state: a burst of events costs one or two writes. */
  #save(): void {
    if (this.#dirty) return;
    this.#dirty = true;
    this.#saving = this.#saving
      .then(() => {
        this.#dirty = false;
        return this.#current ? this.store.setItem(KEY, JSON.stringify(this.#current)) : undefined;
      })
      .catch(() => undefined);
  }
}
