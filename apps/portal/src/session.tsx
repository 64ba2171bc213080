/**
 * Who is logged in. On load the session is restored with GET /v1/auth/me (the cookie is HttpOnly, so only the
 * server knows); login, a login link and logout change it. The CSRF token lives in memory only.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { api, ApiFailure, setCsrfToken } from './api';
import type { LoginAnswer, MeAnswer, User } from './api';

export type SessionState =
  { status: 'loading' } | { status: 'anonymous' } | { status: 'unreachable'; message: string } | { status: 'user'; user: User };

interface Session {
  state: SessionState;
  /** Adopts the answer of /v1/auth/login or /v1/auth/login-link. */
  loggedIn(answer: LoginAnswer): void;
  logout(): Promise<void>;
  reload(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  // Bumped by every login and logout, so a /v1/auth/me answer that was already on its way (a 401 from before a
  // login link was used on the same page load) cannot overwrite what happened since.
  const changes = useRef(0);

  useEffect(() => {
    const asked = changes.current;
    let current = true;
    const stale = () => !current || changes.current !== asked;
    api<MeAnswer>('GET', '/v1/auth/me').then(
      (me) => {
        if (stale()) return;
        setCsrfToken(me.csrfToken);
        setState({ status: 'user', user: me.user });
      },
      (error: unknown) => {
        if (stale()) return;
        if (error instanceof ApiFailure && error.status === 401) setState({ status: 'anonymous' });
        else setState({ status: 'unreachable', message: error instanceof ApiFailure ? error.message : String(error) });
      },
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  const loggedIn = useCallback((answer: LoginAnswer) => {
    changes.current += 1;
    setCsrfToken(answer.csrfToken);
    setState({ status: 'user', user: answer.user });
  }, []);

  // Only a logout the server confirmed counts: otherwise the cookie would still open the session.
  const logout = useCallback(async () => {
    await api('POST', '/v1/auth/logout');
    changes.current += 1;
    setCsrfToken(null);
    setState({ status: 'anonymous' });
  }, []);

  const reload = useCallback(() => {
    setState({ status: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  const value = useMemo(() => ({ state, loggedIn, logout, reload }), [state, loggedIn, logout, reload]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The logged-in user; only for pages the app shows to a user. */
export function useUser(): User {
  const { state } = useSession();
  if (state.status !== 'user') throw new Error('useUser without a user');
  return state.user;
}
