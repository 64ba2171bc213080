/**
 * RENEW: the customer asks for 1 month or 1 year more (POST /v1/licenses/:id/renewal-request); the request reaches
 * the vendor's staff, who renew the license; a license bought on AWS Marketplace renews there, and the answer says
 * where. The answer's sentence says what happens next.
 */
import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { api, licensePath, messageOf } from '../api';
import { ErrorNotice, SuccessNotice } from './page';
import type { Answer } from '../api';

export function RenewButton({ licenseId, productName }: { licenseId: string; productName: string }) {
  const [open, setOpen] = useState(false);
  const panel = useId();
  return (
    <div className="renew">
      <button type="button" className="secondary" aria-expanded={open} aria-controls={panel} onClick={() => setOpen(!open)}>
        Renew
      </button>
      <div id={panel} hidden={!open}>
        {open ? <RenewForm licenseId={licenseId} productName={productName} /> : null}
      </div>
    </div>
  );
}

function RenewForm({ licenseId, productName }: { licenseId: string; productName: string }) {
  const [months, setMonths] = useState<1 | 12>(12);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // Once asked, the form stays answered: a second press would ask again (the License Center ignores a repeat within
  // a day, but the customer should not have to wonder whether it went twice).
  const [sent, setSent] = useState(false);
  const [marketplaceUrl, setMarketplaceUrl] = useState<string | null>(null);
  const name = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (sent || busy) return;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const answer = await api<Answer<'postLicensesByLicenseIdRenewalRequest', 200> | Answer<'postLicensesByLicenseIdRenewalRequest', 202>>(
        'POST',
        `${licensePath(licenseId)}/renewal-request`,
        {
          months,
        },
      );
      setDone(answer.message);
      setSent(true);
      // Bought on AWS Marketplace: it renews there, and the new term arrives by notification.
      setMarketplaceUrl('marketplaceUrl' in answer ? answer.marketplaceUrl : null);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="renew-form" onSubmit={submit}>
      <fieldset className="choice" disabled={sent}>
        <legend>Renew {productName} for</legend>
        <label className="option-inline">
          <input type="radio" name={name} checked={months === 1} onChange={() => setMonths(1)} /> 1 month
        </label>
        <label className="option-inline">
          <input type="radio" name={name} checked={months === 12} onChange={() => setMonths(12)} /> 1 year
        </label>
      </fieldset>
      <button type="submit" disabled={busy || sent}>
        {sent ? 'Renewal requested' : 'Request renewal'}
      </button>
      <ErrorNotice message={error} />
      <SuccessNotice message={done} />
      {marketplaceUrl ? (
        <p>
          <a href={marketplaceUrl} target="_blank" rel="noopener noreferrer">
            Renew on AWS Marketplace
          </a>
        </p>
      ) : null}
    </form>
  );
}
