/** Products (/staff/products): the catalogue with each product's node roles, limits and features; admins define new ones. */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import { useAction } from '../components/action';
import { Field } from '../components/fields';
import { ErrorNotice, Loading, PageTitle, SuccessNotice } from '../components/page';
import { useUser } from '../session';
import { CAN } from '../staff/api';
import type { Product } from '../staff/api';
import { StaffNav, useLoad } from '../staff/kit';
import type { Answer } from '../api';

/** "query, storage" → ["query", "storage"]; blanks dropped. */
const namesOf = (text: string) =>
  text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);

export function ProductsPage() {
  const user = useUser();
  const products = useLoad(() => api<Answer<'getStaffProducts'>>('GET', '/v1/staff/products'), 'products');
  return (
    <section>
      <PageTitle title="Products" />
      <StaffNav />
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
                {product.features.join(', ') || 'none'}
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      {CAN.administer(user.role) ? <NewProduct onCreated={products.reload} /> : null}
    </section>
  );
}

function NewProduct({ onCreated }: { onCreated(): void }) {
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [roles, setRoles] = useState('');
  const [limits, setLimits] = useState('');
  const [features, setFeatures] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    const made = await run(() =>
      api<Product>('POST', '/v1/staff/products', {
        slug,
        name,
        roles: namesOf(roles),
        limits: namesOf(limits),
        features: namesOf(features),
      }),
    );
    if (!made.ok) return;
    setDone(`The product ${made.value.name} (${made.value.slug}) is defined.`);
    for (const clear of [setSlug, setName, setRoles, setLimits, setFeatures]) clear('');
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
