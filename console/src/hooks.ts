/**
 * The one way a console page loads data: `useLoad` runs a load when its inputs change (optionally
 * polled), and cancels what is in flight (its AbortSignal reaches `fetch`) when the inputs change
 * again or the page goes away, so a slow old answer never overwrites a newer one. Paged lists
 * add pages with `extend`, under the same cancellation.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export type Load<T> = {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
  /** Runs a further load from the current data (the next page, appended) and shows its result. */
  extend: (more: (current: T, signal: AbortSignal) => Promise<T>) => void;
};

type LoadState<T> = { data?: T; error?: unknown; loading: boolean };

export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[], pollMs?: number): Load<T> {
  const [state, setState] = useState<LoadState<T>>({ loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  const current = useRef<{ data?: T; signal?: AbortSignal }>({});
  current.current.data = state.data;

  const settle = useCallback((promise: Promise<T>, signal: AbortSignal, keepData: boolean) => {
    setState((previous) => ({ ...(keepData ? { data: previous.data } : previous), loading: true }));
    promise.then(
      (data) => !signal.aborted && setState({ data, loading: false }),
      (error: unknown) => !signal.aborted && setState((previous) => ({ data: previous.data, error, loading: false })),
    );
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps, checked at each call site (biome.jsonc names useLoad as a hook); tick is the reload trigger
  useEffect(() => {
    let controller = new AbortController();
    const run = () => {
      controller.abort();
      controller = new AbortController();
      current.current.signal = controller.signal;
      settle(latest.current(controller.signal), controller.signal, true);
    };
    run();
    const timer = pollMs ? setInterval(run, pollMs) : undefined;
    return () => {
      controller.abort();
      if (timer) clearInterval(timer);
    };
  }, [...deps, tick, pollMs, settle]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  const extend = useCallback(
    (more: (data: T, signal: AbortSignal) => Promise<T>) => {
      const { data, signal } = current.current;
      if (data === undefined || !signal || signal.aborted) return;
      settle(more(data, signal), signal, true);
    },
    [settle],
  );
  return { ...state, reload, extend };
}
