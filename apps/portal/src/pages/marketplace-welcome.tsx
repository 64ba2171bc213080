/**
 * Where AWS Marketplace sends a buyer after subscribing (/marketplace/welcome#token=…, by LC's 303): the buyer
 * names who manages the licenses, and LC mails that address the usual "set up your account" link.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import { fieldOf, useAction } from '../components/action';
import { Field } from '../components/fields';
import { ErrorNotice, PageTitle, SuccessNotice } from '../components/page';
import { useFragmentToken } from '../router';
import type { Answer } from '../api';

const WELCOME_PATH = '/marketplace/welcome';

export function MarketplaceWelcomePage() {
  const token = useFragmentToken(WELCOME_PATH);
  const [email, setEmail] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const field = fieldOf(error, { email: /^The email/ });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await run(() => api<Answer<'postMarketplaceAwsSetupLink'>>('POST', '/v1/marketplace/aws/setup-link', { token, email }));
    if (answer.ok) setDone(`${answer.value.message} It was sent to ${answer.value.email}.`);
  };

  return (
    <section className="narrow">
      <PageTitle title="Welcome" />
      {!token ? (
        <ErrorNotice message='This page needs the whole address AWS Marketplace opened (it ends in #token=…). Open the product in AWS Marketplace and choose "Set up your account" again.' />
      ) : done ? (
        <SuccessNotice message={done} />
      ) : (
        <>
          <p>
            Thank you for subscribing on AWS Marketplace. Who manages your licenses? We mail them a link to set up their account, where the
            license appears.
          </p>
          <form onSubmit={submit} className="form">
            <Field
              label="Email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onValue={setEmail}
              error={field === 'email' ? error : null}
            />
            <ErrorNotice message={field === null ? error : null} />
            <button type="submit" disabled={busy}>
              Mail the setup link
            </button>
          </form>
        </>
      )}
    </section>
  );
}
