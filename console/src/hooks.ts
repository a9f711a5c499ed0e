/** Loading state for one API call, re-run when its inputs change, optionally polled. */
import { useEffect, useRef, useState } from 'react';

export type Load<T> = { data?: T; error?: unknown; loading: boolean; reload: () => void };

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[], pollMs?: number): Load<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let cancelled = false;
    const run = () => {
      setState((previous) => ({ ...previous, loading: true }));
      latest.current().then(
        (data) => !cancelled && setState({ data, loading: false }),
        (error: unknown) => !cancelled && setState((previous) => ({ data: previous.data, error, loading: false })),
      );
    };
    run();
    const timer = pollMs ? setInterval(run, pollMs) : undefined;
    return () => {
      cancelled = true;
      if (timer) clearInterval(timer);
    };
  }, [...deps, tick, pollMs]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}
