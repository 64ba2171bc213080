/**
 * Products (/staff/products): the catalogue with each product's node roles, limits, features and default outage
 * grace; admins define new ones and change a product's grace (the licenses that follow it are signed again).
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import { useAction } from '../components/action';
import { Field } from '../components/fields';
import { graceHoursFrom, OUTAGE_GRACE_HINT, outageGraceText } from '../components/outage-grace';
import { ErrorNotice, Loading, PageTitle, SuccessNotice } from '../components/page';
import { useUser } from '../session';
import { CAN } from '../staff/api';
import type { Product, ProductGraceChange } from '../staff/api';
import { Disclosure } from '../staff/license-actions';
import { StaffNav, useLoad } from '../staff/kit';
import type { Answer } from '../api';

/** A new product's outage grace unless the admin types another: what the License Center gives one left without. */
const DEFAULT_OUTAGE_GRACE_HOURS = 72;

/** "query, storage" → ["query", "storage"]; blanks dropped. */
const namesOf = (text: string) =>
  text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);

export function ProductsPage() {
  const user = useUser();
  const products = useLoad(() => api<Answer<'getStaffProducts'>>('GET', '/v1/staff/products'), 'products');
  const [changed, setChanged] = useState<string | null>(null);
  const onGraceChanged = (message: string) => {
    setChanged(message);
    products.reload();
  };
  return (
    <section>
      <PageTitle title="Products" />
      <StaffNav />
      <SuccessNotice message={changed} />
      <ErrorNotice message={products.error} />
      {!products.data && !products.error ? <Loading what="the products" /> : null}
      {products.data?.items.length === 0 ? <p className="empty">No products yet.</p> : null}
      {products.data && products.data.items.length > 0 ? (
        <ul className="rows" aria-label="Products">
          {products.data.items.map((product) => (
            <li key={product.id}>
              <strong>{product.name}</strong> <span className="mono small">{product.slug}</span>
              <div className="small">
                Node roles: {product.roles.join(', ')} · limits: {product.limits.join(', ') || 'none'} · features:{' '}
                {product.features.join(', ') || 'none'} · outage grace: {outageGraceText(product.outageGraceHours)}
              </div>
              {CAN.administer(user.role) ? (
                <Disclosure label={`Outage grace of ${product.name}`}>
                  <ProductGrace key={product.outageGraceHours} product={product} onChanged={onGraceChanged} />
                </Disclosure>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {CAN.administer(user.role) ? <NewProduct onCreated={products.reload} /> : null}
    </section>
  );
}

/** A product's default outage grace: the licenses that follow it are signed again with the new one. */
function ProductGrace({ product, onChanged }: { product: Product; onChanged(message: string): void }) {
  const [hours, setHours] = useState(String(product.outageGraceHours));
  const [hoursError, setHoursError] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setHoursError(null);
    const parsed = graceHoursFrom(hours);
    if (!parsed.ok) return setHoursError(parsed.message);
    const path = `/v1/staff/products/${encodeURIComponent(product.id)}/outage-grace`;
    const done = await run(() => api<ProductGraceChange>('PUT', path, { outageGraceHours: parsed.value }));
    if (!done.ok) return;
    const { product: saved, resignedLicenses: n } = done.value;
    onChanged(
      `The outage grace of ${saved.name} is ${outageGraceText(saved.outageGraceHours)}; ${n} license${n === 1 ? '' : 's'} that follow${n === 1 ? 's' : ''} it ${n === 1 ? 'was' : 'were'} signed again.`,
    );
  };
  return (
    <form noValidate className="form action-form" onSubmit={save} aria-label={`Outage grace of ${product.name}`}>
      <Field
        label="Outage grace (hours)"
        value={hours}
        onValue={setHours}
        inputMode="numeric"
        autoComplete="off"
        hint={`${OUTAGE_GRACE_HINT} Licenses with a grace of their own keep it.`}
        error={hoursError}
      />
      <ErrorNotice message={error} />
      <div>
        <button type="submit" disabled={busy || hours.trim() === String(product.outageGraceHours)}>
          Save the outage grace
        </button>
      </div>
    </form>
  );
}

function NewProduct({ onCreated }: { onCreated(): void }) {
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [roles, setRoles] = useState('');
  const [limits, setLimits] = useState('');
  const [features, setFeatures] = useState('');
  const [grace, setGrace] = useState(String(DEFAULT_OUTAGE_GRACE_HOURS));
  const [graceError, setGraceError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    setGraceError(null);
    const outageGrace = graceHoursFrom(grace);
    if (!outageGrace.ok) return setGraceError(outageGrace.message);
    const made = await run(() =>
      api<Product>('POST', '/v1/staff/products', {
        slug,
        name,
        roles: namesOf(roles),
        limits: namesOf(limits),
        features: namesOf(features),
        outageGraceHours: outageGrace.value,
      }),
    );
    if (!made.ok) return;
    setDone(`The product ${made.value.name} (${made.value.slug}) is defined.`);
    for (const clear of [setSlug, setName, setRoles, setLimits, setFeatures]) clear('');
    setGrace(String(DEFAULT_OUTAGE_GRACE_HOURS));
    onCreated();
  };
  return (
    <form noValidate className="panel form" onSubmit={create} aria-labelledby="new-product">
      <h2 id="new-product">New product</h2>
      <Field label="Slug" value={slug} onValue={setSlug} autoComplete="off" hint="The product's name in licenses, e.g. graphdb." />
      <Field label="Name" value={name} onValue={setName} autoComplete="off" />
      <Field label="Node roles" value={roles} onValue={setRoles} autoComplete="off" hint="Separated by commas, e.g. query, storage." />
      <Field label="Limits (optional)" value={limits} onValue={setLimits} autoComplete="off" hint="Named numeric limits, by commas." />
      <Field label="Features (optional)" value={features} onValue={setFeatures} autoComplete="off" hint="Feature flags, by commas." />
      <Field
        label="Outage grace (hours)"
        value={grace}
        onValue={setGrace}
        inputMode="numeric"
        autoComplete="off"
        hint={OUTAGE_GRACE_HINT}
        error={graceError}
      />
      <ErrorNotice message={error} />
      <SuccessNotice message={done} />
      <div>
        <button type="submit" disabled={busy}>
          Define product
        </button>
      </div>
    </form>
  );
}
