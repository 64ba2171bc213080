/**
 * What an offline key issued from a request code holds, as the staff form states it: one row per role, limit and
 * feature of the product with what the code asks and what to grant (prefilled as asked: keep, change, or clear to
 * strike), the asks the product does not define shown as not granted, and the grant read from exactly those rows.
 */
import { Fragment, useId } from 'react';
import type { Product, RequestCodeGrant, RequestCodePreview } from './api';

export type Flag = RequestCodePreview['flags'][number];

/** The form's text per row, by name: what staff typed or ticked, starting from what the code asks. */
export interface GrantFields {
  nodes: Record<string, string>;
  limits: Record<string, string>;
  features: Record<string, boolean>;
  months: string;
}

type GrantRead = { ok: true; grant: RequestCodeGrant } | { ok: false; field: string; message: string };

/** The grant as the form states it: only the product's own names; a blank count is struck (not granted). */
export function grantFrom(product: Product, fields: GrantFields): GrantRead {
  const grant: RequestCodeGrant = { nodes: {}, limits: {}, features: [], months: 0 };
  for (const [names, values, into, what] of [
    [product.roles, fields.nodes, grant.nodes, (name: string) => `${name} nodes`],
    [product.limits, fields.limits, grant.limits, (name: string) => `${name} limit`],
  ] as const) {
    for (const name of names) {
      const text = (values[name] ?? '').trim();
      if (text === '') continue;
      if (!/^\d+$/.test(text))
        return { ok: false, field: what(name), message: `The ${what(name)} must be a whole number, or blank to grant none.` };
      into[name] = Number(text);
    }
  }
  grant.features = product.features.filter((feature) => fields.features[feature]);
  if (!/^\d+$/.test(fields.months.trim()))
    return { ok: false, field: 'months', message: 'The months must be a whole number from 1 to 120.' };
  grant.months = Number(fields.months.trim());
  return { ok: true, grant };
}

export const monthsText = (months: number) =>
  `${months} month${months === 1 ? '' : 's'}${months >= 24 && months % 12 === 0 ? ` (${months / 12} years)` : ''}`;
export const countsText = (counts: Record<string, number>) =>
  Object.keys(counts).length
    ? Object.entries(counts)
        .map(([name, n]) => `${name} ${n}`)
        .join(' · ')
    : 'none';

/** "nodes query 3 · storage 5; limits remote_clusters 2; features scan; 12 months from today" */
export function grantText(grant: RequestCodeGrant): string {
  return `nodes ${countsText(grant.nodes)}; limits ${countsText(grant.limits)}; features ${grant.features.join(', ') || 'none'}; ${monthsText(grant.months)} from today`;
}

/** The form's rows as the code asks: every count and ticked feature it names, the product decides which are shown. */
export function grantFieldsOf(preview: RequestCodePreview): GrantFields {
  const text = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).map(([name, n]) => [name, String(n)]));
  return {
    nodes: text(preview.nodes),
    limits: text(preview.limits),
    features: Object.fromEntries(preview.features.map((feature) => [feature, true])),
    months: String(preview.months),
  };
}

/**
 * One row per thing a key can hold: the product's roles, limits and features, each with what the code asks and
 * what to grant (prefilled as asked), then the asks the product does not define, which cannot be granted.
 */
export function GrantTable({
  preview,
  product,
  flags,
  fields,
  onFields,
  invalid,
}: {
  preview: RequestCodePreview;
  product: Product;
  flags: Flag[];
  fields: GrantFields;
  onFields(fields: GrantFields): void;
  invalid: string | null;
}) {
  const id = useId();
  const asked = (value: number | undefined) => (value === undefined ? <span className="hint">not asked</span> : String(value));
  const count = (kind: 'nodes' | 'limits', name: string, label: string) => (
    <>
      <label className="visually-hidden" htmlFor={`${id}-${kind}-${name}`}>
        {label} to grant
      </label>
      <input
        id={`${id}-${kind}-${name}`}
        type="text"
        inputMode="numeric"
        autoComplete="off"
        value={fields[kind][name] ?? ''}
        aria-invalid={invalid === label ? true : undefined}
        onChange={(event) => onFields({ ...fields, [kind]: { ...fields[kind], [name]: event.target.value } })}
      />
    </>
  );
  const productFlag = flags.find((flag) => flag.item === 'product');
  return (
    <fieldset className="choice grant">
      <legend>What the key holds</legend>
      <p className="hint" id={`${id}-hint`}>
        Prefilled as the code asks. Keep or change a number, or clear it to grant none; tick the features to grant. What {product.slug} does
        not define cannot be granted.
      </p>
      <div className="grant-scroll">
        <table className="table grant-table" aria-describedby={`${id}-hint`}>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">The code asks</th>
              <th scope="col">Grant</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Product</th>
              <td>{preview.product ?? <span className="hint">not named</span>}</td>
              <td>{productFlag ? <span className="flag">{productFlag.message}</span> : product.slug}</td>
            </tr>
            {product.roles.map((role) => (
              <tr key={`role ${role}`}>
                <th scope="row">
                  <Name text={role} /> nodes
                </th>
                <td>{asked(preview.nodes[role])}</td>
                <td>{count('nodes', role, `${role} nodes`)}</td>
              </tr>
            ))}
            {product.limits.map((limit) => (
              <tr key={`limit ${limit}`}>
                <th scope="row">
                  <Name text={limit} /> limit
                </th>
                <td>{asked(preview.limits[limit])}</td>
                <td>{count('limits', limit, `${limit} limit`)}</td>
              </tr>
            ))}
            {product.features.map((feature) => (
              <tr key={`feature ${feature}`}>
                <th scope="row">
                  feature <Name text={feature} />
                </th>
                <td>{preview.features.includes(feature) ? 'asked' : <span className="hint">not asked</span>}</td>
                <td>
                  <label className="option-inline">
                    <input
                      type="checkbox"
                      checked={fields.features[feature] === true}
                      onChange={(event) => onFields({ ...fields, features: { ...fields.features, [feature]: event.target.checked } })}
                    />{' '}
                    grant<span className="visually-hidden"> feature {feature}</span>
                  </label>
                </td>
              </tr>
            ))}
            {flags
              .filter((flag) => flag.item !== 'product')
              .map((flag) => (
                <tr key={`${flag.item} ${flag.name}`}>
                  <th scope="row">
                    <Name text={flag.name} /> {flag.item === 'role' ? 'nodes' : flag.item}
                  </th>
                  <td>{flag.item === 'role' ? preview.nodes[flag.name] : flag.item === 'limit' ? preview.limits[flag.name] : 'asked'}</td>
                  <td className="flag">not granted: not defined by {product.slug}</td>
                </tr>
              ))}
            <tr>
              <th scope="row">Months</th>
              <td>{preview.months}</td>
              <td>
                <label className="visually-hidden" htmlFor={`${id}-months`}>
                  Months to grant, from today (1 to 120)
                </label>
                <input
                  id={`${id}-months`}
                  type="text"
                  inputMode="numeric"
                  autoComplete="off"
                  value={fields.months}
                  aria-invalid={invalid === 'months' ? true : undefined}
                  onChange={(event) => onFields({ ...fields, months: event.target.value })}
                />
              </td>
            </tr>
          </tbody>
        </table>
      </div>
    </fieldset>
  );
}

/** A name with a chance to wrap after each _ and -, so "remote_clusters" wraps on a phone instead of widening the table. */
function Name({ text }: { text: string }) {
  return text.split(/(?<=[_-])/).map((part, index) => (
    <Fragment key={index}>
      {index > 0 ? <wbr /> : null}
      {part}
    </Fragment>
  ));
}
