/** A forgotten password: ask for a reset link by email, then set a new password from it (/reset#token=…). */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import { fieldOf, useAction } from '../components/action';
import { Field, NewPasswordField } from '../components/fields';
import { ErrorNotice, PageTitle, SuccessNotice } from '../components/page';
import { Link, navigate, useFragmentToken } from '../router';
import type { Answer } from '../api';

export function ForgotPage() {
  const [email, setEmail] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, run } = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await run(() => api<Answer<'postAuthResetRequest'>>('POST', '/v1/auth/reset-request', { email }));
    if (answer.ok) setDone(answer.value.message);
  };

  return (
    <section className="narrow">
      <PageTitle title="Reset your password" />
      <p>We mail you a link to choose a new password. It works once, for 1 hour.</p>
      <form onSubmit={submit} className="form">
        <Field label="Email" type="email" autoComplete="username" required value={email} onValue={setEmail} error={error} />
        <button type="submit" disabled={busy}>
          Mail me a reset link
        </button>
      </form>
      <SuccessNotice message={done} />
      <p>
        <Link to="/login">Back to the login page</Link>
      </p>
    </section>
  );
}

export function ResetPage() {
  const token = useFragmentToken('/reset');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [repeatError, setRepeatError] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();
  const field = fieldOf(error, { password: /^The password/ });
  const editPassword = (value: string) => {
    setPassword(value);
    if (field === 'password') setError(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (repeat !== password) return setRepeatError('The two passwords differ: type the same password in both fields.');
    setRepeatError(null);
    const answer = await run(() => api<Answer<'postAuthReset'>>('POST', '/v1/auth/reset', { token, password }));
    if (answer.ok) navigate('/login', { replace: true, notice: answer.value.message });
  };

  return (
    <section className="narrow">
      <PageTitle title="Choose a new password" />
      {!token ? (
        <>
          <ErrorNotice message="This page needs the whole reset link from the mail (it ends in #token=…). Open the link again, or ask for a new one." />
          <p>
            <Link to="/forgot">Ask for a new reset link</Link>
          </p>
        </>
      ) : (
        <form onSubmit={submit} className="form">
          <NewPasswordField label="New password" value={password} onValue={editPassword} error={field === 'password' ? error : null} />
          <Field
            label="Repeat the new password"
            type="password"
            autoComplete="new-password"
            required
            value={repeat}
            onValue={setRepeat}
            error={repeatError}
          />
          <ErrorNotice message={field === null ? error : null} />
          <button type="submit" disabled={busy}>
            Set the new password
          </button>
        </form>
      )}
    </section>
  );
}
