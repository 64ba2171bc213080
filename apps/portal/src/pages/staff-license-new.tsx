/** A license without a contract (/staff/licenses/new): customer, product, nodes per role, features and limits, the dates and the mode. */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import { useAction } from '../components/action';
import { Field } from '../components/fields';
import { ErrorNotice, PageTitle } from '../components/page';
import { day } from '../format';
import { navigate, useLocation } from '../router';
import { countsFrom } from '../staff/api';
import type { LicenseView } from '../staff/api';
import { ProductAndCustomer, useCatalogue } from '../staff/choosers';
import { FeaturesAndLimits, featuresAndLimitsFrom, NONE_CHOSEN } from '../staff/features-limits';
import type { FeaturesLimitsChoice } from '../staff/features-limits';
import { RoleCounts, StaffNav } from '../staff/kit';

const inAYear = () => {
  const date = new Date();
  date.setFullYear(date.getFullYear() + 1);
  return day(date.getTime());
};

/** A date field's value (the reader's time zone) as epoch milliseconds; null when it is not a date. */
const millisOf = (value: string) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00`).getTime() : null);

export function NewLicensePage() {
  const { search } = useLocation();
  const catalogue = useCatalogue(search.get('customerId'));
  const [counts, setCounts] = useState<Record<string, string>>({});
  const [countsError, setCountsError] = useState<string | null>(null);
  const [grant, setGrant] = useState<FeaturesLimitsChoice>(NONE_CHOSEN);
  const [grantError, setGrantError] = useState<string | null>(null);
  const [starts, setStarts] = useState(() => day(Date.now()));
  const [expires, setExpires] = useState(inAYear);
  const [datesError, setDatesError] = useState<string | null>(null);
  const [mode, setMode] = useState<'online' | 'offline'>('online');
  const { busy, error, run } = useAction();
  const product = catalogue.product;

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setCountsError(null);
    setGrantError(null);
    setDatesError(null);
    if (!product || !catalogue.customerId) return;
    const nodes = countsFrom(Object.fromEntries(product.roles.map((role) => [role, counts[role] ?? ''])));
    if (!nodes.ok) return setCountsError(nodes.message);
    const granted = featuresAndLimitsFrom(product, grant);
    if (!granted.ok) return setGrantError(granted.message);
    const startsAt = millisOf(starts);
    const expiresAt = millisOf(expires);
    if (startsAt === null || expiresAt === null) return setDatesError('Give both dates as YYYY-MM-DD.');
    const made = await run(() =>
      api<LicenseView>('POST', '/v1/staff/licenses', {
        customerId: catalogue.customerId,
        productId: product.id,
        nodes: nodes.value,
        ...granted.value,
        startsAt,
        // The license runs to the end of the chosen day.
        expiresAt: expiresAt + 86_399_999,
        mode,
      }),
    );
    if (made.ok) navigate(`/staff/licenses/${made.value.id}`, { notice: 'The license is created, not bound to a License Manager yet.' });
  };

  return (
    <section>
      <PageTitle title="New license" />
      <StaffNav />
      <p className="hint">A license without a sales contract. To sell a product for a term, create a sales contract instead.</p>
      <form noValidate className="form step" onSubmit={create}>
        <ProductAndCustomer catalogue={catalogue} />
        {product ? (
          <RoleCounts legend={`Nodes of ${product.name}`} roles={product.roles} values={counts} onValues={setCounts} error={countsError} />
        ) : null}
        {product ? <FeaturesAndLimits product={product} choice={grant} onChoice={setGrant} error={grantError} /> : null}
        <Field label="Starts on" type="date" value={starts} onValue={setStarts} required />
        <Field label="Expires at the end of" type="date" value={expires} onValue={setExpires} error={datesError} required />
        <fieldset className="choice">
          <legend>License mode</legend>
          <label className="option-inline">
            <input type="radio" name="mode" checked={mode === 'online'} onChange={() => setMode('online')} /> Online
          </label>
          <label className="option-inline">
            <input type="radio" name="mode" checked={mode === 'offline'} onChange={() => setMode('offline')} /> Offline
          </label>
        </fieldset>
        <ErrorNotice message={error} />
        <div>
          <button type="submit" disabled={busy || !product || !catalogue.customerId}>
            Create license
          </button>
        </div>
      </form>
    </section>
  );
}
