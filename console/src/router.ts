/**
 * Routing in the URL's hash (`#/explore?event=purchase&granularity=hour`): every page's state is
 * in its URL, so a view can be shared, and any static host can serve the console without rewrites.
 */
import { useCallback, useEffect, useState } from 'react';

export const Pages = ['overview', 'explore', 'events', 'rejections', 'send', 'devices', 'settings'] as const;
export type Page = (typeof Pages)[number];
export type Route = { page: Page; params: URLSearchParams };

export function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const page = (Pages as readonly string[]).includes(path) ? (path as Page) : 'overview';
  return { page, params: new URLSearchParams(search) };
}

export function hrefFor(page: Page, params: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) search.set(name, value);
  return `#/${page}${search.size > 0 ? `?${search}` : ''}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** One page's parameters, read from and written to the URL (replacing history, not adding to it). */
export function usePageParams(page: Page, params: URLSearchParams) {
  const set = useCallback(
    (changes: Record<string, string | undefined>) => {
      const next = Object.fromEntries(params);
      for (const [name, value] of Object.entries(changes)) {
        if (value) next[name] = value;
        else delete next[name];
      }
      window.history.replaceState(null, '', hrefFor(page, next));
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    },
    [page, params],
  );
  return [(name: string) => params.get(name) ?? undefined, set] as const;
}
