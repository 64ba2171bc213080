/** Logging in: with email and password, or with a staff member's one-time login link (/login-link#token=…). */
import { useEffect, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import type { LoginAnswer } from '../api';
import { useAction } from '../components/action';
import { Field } from '../components/fields';
import { ErrorNotice, Loading, PageTitle, SuccessNotice } from '../components/page';
import { Link, navigate, noticeOf, safeNext, useFragmentToken, useLocation } from '../router';
import { useSession } from '../session';

export function LoginPage() {
  const session = useSession();
  const { search } = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const notice = noticeOf();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await run(() => api<LoginAnswer>('POST', '/v1/auth/login', { email, password }));
    if (!answer.ok) return;
    session.loggedIn(answer.value);
    navigate(safeNext(search.get('next')), { replace: true });
  };

  return (
    <section className="narrow">
      <PageTitle title="Log in" />
      <SuccessNotice message={notice} />
      <form onSubmit={submit} className="form">
        <Field label="Email" type="email" autoComplete="username" required value={email} onValue={setEmail} />
        <Field label="Password" type="password" autoComplete="current-password" required value={password} onValue={setPassword} />
        <ErrorNotice message={error} />
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
      <p>
        <Link to="/forgot">Forgot your password?</Link>
      </p>
      <p className="hint">New here? Your account starts from the setup link in the mail your vendor sent you.</p>
    </section>
  );
}

export function LoginLinkPage() {
  const session = useSession();
  const token = useFragmentToken('/login-link');
  const { error, run } = useAction();
  const started = useRef(false);

  // After the session check: with a session cookie, a write must carry its CSRF token, known only then.
  const ready = session.state.status !== 'loading';
  useEffect(() => {
    if (!token || !ready || started.current) return;
    started.current = true;
    void run(() => api<LoginAnswer>('POST', '/v1/auth/login-link', { token })).then((answer) => {
      if (!answer.ok) return;
      session.loggedIn(answer.value);
      navigate('/', { replace: true });
    });
  }, [token, ready, run, session]);

  return (
    <section className="narrow">
      <PageTitle title="Log in with a link" />
      {!token ? (
        <ErrorNotice message="This page needs the whole login link from the mail (it ends in #token=…). Open the link again, or ask for a new one." />
      ) : error ? (
        <ErrorNotice message={error} />
      ) : (
        <Loading what="your session" />
      )}
      <p>
        <Link to="/login">Log in with email and password</Link>
      </p>
    </section>
  );
}
