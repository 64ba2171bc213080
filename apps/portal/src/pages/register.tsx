/**
 * A customer's account: registered from the setup link the vendor mailed (/setup#token=…), then activated from
 * the activation link (/activate#token=…). The setup token is spent only by a registration the server accepts.
 */
import { useEffect, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import { fieldOf, useAction } from '../components/action';
import { Field, NewPasswordField } from '../components/fields';
import { ErrorNotice, Loading, PageTitle, SuccessNotice } from '../components/page';
import { Link, navigate, useFragmentToken } from '../router';
import { useSession } from '../session';
import type { Answer } from '../api';

const REGISTER_FIELDS = { password: /^The password/, email: /^The email|^An account with the email/, name: /^The name/ };

export function SetupPage() {
  const token = useFragmentToken('/setup');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [repeatError, setRepeatError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();
  const field = fieldOf(error, REGISTER_FIELDS);
  // A field's refusal goes away once that field is edited; the rest of the form keeps what was typed.
  const edit = (name: keyof typeof REGISTER_FIELDS, set: (value: string) => void) => (value: string) => {
    set(value);
    if (field === name) setError(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (repeat !== password) return setRepeatError('The two passwords differ: type the same password in both fields.');
    setRepeatError(null);
    const body = { token, name, password, ...(email.trim() ? { email: email.trim() } : {}) };
    const answer = await run(() => api<Answer<'postAuthRegister'>>('POST', '/v1/auth/register', body));
    if (answer.ok) setDone(answer.value.message);
  };

  if (!token) {
    return (
      <section className="narrow">
        <PageTitle title="Set up your account" />
        <ErrorNotice message="This page needs the whole setup link from the invitation mail (it ends in #token=…). Open the link again, or ask your vendor for a new invitation." />
      </section>
    );
  }
  if (done) {
    return (
      <section className="narrow">
        <PageTitle title="Almost done" />
        <SuccessNotice message={done} />
        <p>The activation link in that mail works for 2 days. After activating, log in with your email and password.</p>
      </section>
    );
  }
  return (
    <section className="narrow">
      <PageTitle title="Set up your account" />
      <p>You were invited to manage your company&apos;s licenses. Choose how you log in.</p>
      <form onSubmit={submit} className="form">
        <Field
          label="Your name"
          autoComplete="name"
          required
          value={name}
          onValue={edit('name', setName)}
          error={field === 'name' ? error : null}
        />
        <Field
          label="Email (optional)"
          type="email"
          autoComplete="email"
          value={email}
          onValue={edit('email', setEmail)}
          hint="Leave empty to use the address the invitation was sent to."
          error={field === 'email' ? error : null}
        />
        <NewPasswordField
          label="Password"
          value={password}
          onValue={edit('password', setPassword)}
          error={field === 'password' ? error : null}
        />
        <Field
          label="Repeat the password"
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          onValue={setRepeat}
          error={repeatError}
        />
        <ErrorNotice message={field === null ? error : null} />
        <button type="submit" disabled={busy}>
          Create account
        </button>
      </form>
    </section>
  );
}

export function ActivatePage() {
  const token = useFragmentToken('/activate');
  const { error, run } = useAction();
  const started = useRef(false);
  // After the session check: with a session cookie, a write must carry its CSRF token, known only then.
  const ready = useSession().state.status !== 'loading';

  useEffect(() => {
    if (!token || !ready || started.current) return;
    started.current = true;
    void run(() => api('POST', '/v1/auth/activate', { token })).then((answer) => {
      if (answer.ok) navigate('/login', { replace: true, notice: 'Your account is active. Log in with your email and password.' });
    });
  }, [token, ready, run]);

  return (
    <section className="narrow">
      <PageTitle title="Activate your account" />
      {!token ? (
        <ErrorNotice message="This page needs the whole activation link from the mail (it ends in #token=…). Open the link again." />
      ) : error ? (
        <ErrorNotice message={error} />
      ) : (
        <Loading what="the activation" />
      )}
      <p>
        <Link to="/login">Go to the login page</Link>
      </p>
    </section>
  );
}
