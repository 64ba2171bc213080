/**
 * A small History-API router: the path is the state, links push it, back and forward pop it. Routes are matched
 * by the app (app.tsx) from a table, so a new section (/staff/...) is a few more lines there.
 */
import { useSyncExternalStore } from 'react';
import type { AnchorHTMLAttributes, MouseEvent, ReactNode } from 'react';

const CHANGE = 'tessera:navigate';

export interface NavigateOptions {
  replace?: boolean;
  /** A one-time notice for the page navigated to ("Your password is changed; log in."). */
  notice?: string;
}

export function navigate(to: string, options: NavigateOptions = {}): void {
  const state = options.notice ? { notice: options.notice } : null;
  if (options.replace) history.replaceState(state, '', to);
  else history.pushState(state, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

const snapshot = () => location.pathname + location.search;

/** The current path and query (never the fragment, which may hold a one-time token). */
export function useLocation(): { path: string; search: URLSearchParams; key: string } {
  const current = useSyncExternalStore(subscribe, snapshot);
  const [path, query = ''] = current.split('?');
  return { path: path ?? '/', search: new URLSearchParams(query), key: current };
}

/** The notice handed over by navigate(), if any; it stays with the history entry. */
export function noticeOf(): string | null {
  const state = history.state as { notice?: unknown } | null;
  return typeof state?.notice === 'string' ? state.notice : null;
}

/** Only a path of this site may be a place to return to after logging in. */
export function safeNext(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

/**
 * The token of a mailed link (`/reset#token=…`): read from the fragment when the page opens (or the fragment
 * changes) and removed from the address bar at once, so it is not kept in the history, bookmarked or shown over
 * someone's shoulder. Fragments never reach the server.
 */
let fragment: { path: string; token: string; visit: number } | null = null;
const TOKEN_SEEN = 'tessera:token';

export function captureFragmentToken(): void {
  if (!location.hash) return;
  const token = /^#token=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1];
  history.replaceState(history.state, '', location.pathname + location.search);
  if (token) {
    // A new object each time: a link opened again in the same tab (only the fragment changes) is a new visit.
    fragment = { path: location.pathname, token, visit: (fragment?.visit ?? 0) + 1 };
    window.dispatchEvent(new Event(TOKEN_SEEN));
  }
}

function subscribeToken(onChange: () => void): () => void {
  window.addEventListener(TOKEN_SEEN, onChange);
  return () => window.removeEventListener(TOKEN_SEEN, onChange);
}

/** How many mailed links were opened in this tab: the app starts their page afresh for each. */
export function useLinkVisit(): number {
  return useSyncExternalStore(subscribeToken, () => fragment?.visit ?? 0);
}

/** The mailed link's token for the page at `path`, or null when the page was opened without one. */
export function useFragmentToken(path: string): string | null {
  const taken = useSyncExternalStore(subscribeToken, () => fragment);
  return taken?.path === path ? taken.token : null;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; children: ReactNode };

export function Link({ to, onClick, children, ...rest }: LinkProps) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    // New tabs, downloads and the like stay the browser's.
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={follow} {...rest}>
      {children}
    </a>
  );
}
