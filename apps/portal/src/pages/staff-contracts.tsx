/**
 * Contracts (/staff/contracts): the list (all, or one customer's), one contract, and a new sales contract, which
 * creates its license at once (POST /v1/staff/contracts) with the nodes, features and limits sold. The product's roles,
 * features and limits come from GET /v1/staff/products.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import { useAction } from '../components/action';
import { ErrorNotice, Loading, PageTitle, SuccessNotice } from '../components/page';
import { day, nodesText } from '../format';
import { Link, navigate, noticeOf, useLocation } from '../router';
import { useUser } from '../session';
import { CAN, countsFrom, staffPath } from '../staff/api';
import type { Contract, Page } from '../staff/api';
import { ProductAndCustomer, useCatalogue } from '../staff/choosers';
import { FeaturesAndLimits, featuresAndLimitsFrom, NONE_CHOSEN } from '../staff/features-limits';
import type { FeaturesLimitsChoice } from '../staff/features-limits';
import { RoleCounts, StaffNav, useLoad } from '../staff/kit';
import { useNames } from '../staff/names';
import type { Answer } from '../api';

export function ContractsPage() {
  const user = useUser();
  const { search } = useLocation();
  const customerId = search.get('customerId');
  const query = new URLSearchParams({ limit: '50', ...(customerId ? { customerId } : {}) });
  const list = useLoad(() => api<Page<Contract>>('GET', `/v1/staff/contracts?${query}`), customerId ?? '');
  const productName = useProductNames();
  const nameOf = useNames([customerId, ...(list.data?.items.map((contract) => contract.customerId) ?? [])]);
  const more = useAction();
  const next = async () => {
    if (!list.data?.nextCursor) return;
    query.set('cursor', list.data.nextCursor);
    const page = await more.run(() => api<Page<Contract>>('GET', `/v1/staff/contracts?${query}`));
    if (page.ok) list.setData({ items: [...list.data.items, ...page.value.items], nextCursor: page.value.nextCursor });
  };
  return (
    <section>
      <PageTitle title="Contracts" />
      <StaffNav />
      {customerId ? (
        <p>
          Of the customer <Link to={`/staff/customers/${customerId}`}>{nameOf(customerId)}</Link> ·{' '}
          <Link to="/staff/contracts">all contracts</Link>
        </p>
      ) : null}
      {CAN.sell(user.role) ? (
        <p>
          <Link className="button" to={`/staff/contracts/new${customerId ? `?customerId=${customerId}` : ''}`}>
            New sales contract
          </Link>
        </p>
      ) : null}
      <ErrorNotice message={list.error} />
      {!list.data && !list.error ? <Loading what="the contracts" /> : null}
      {list.data?.items.length === 0 ? <p className="empty">No contracts yet.</p> : null}
      {list.data && list.data.items.length > 0 ? (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Contracts">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Contract</th>
                <th scope="col">Customer</th>
                <th scope="col">Product</th>
                <th scope="col">Term</th>
                <th scope="col">Quantities</th>
                <th scope="col">Period</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((contract) => (
                <tr key={contract.id}>
                  <td>
                    <Link className="mono" to={`/staff/contracts/${contract.id}`}>
                      {contract.id}
                    </Link>
                  </td>
                  <td>
                    <Link to={`/staff/customers/${contract.customerId}`}>{nameOf(contract.customerId)}</Link>
                  </td>
                  <td>{productName(contract.productId)}</td>
                  <td>{termText(contract)}</td>
                  <td>{nodesText(contract.quantities)}</td>
                  <td>
                    {day(contract.startsAt)} to {day(contract.endsAt)}
                  </td>
                  <td>{contract.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ErrorNotice message={more.error} />
      {list.data?.nextCursor ? (
        <button type="button" className="secondary" disabled={more.busy} onClick={() => void next()}>
          Show more contracts
        </button>
      ) : null}
    </section>
  );
}

/** Product names by id, for contracts (which name their product by id); the id until they are loaded. */
function useProductNames(): (id: string) => string {
  const products = useLoad(() => api<Answer<'getStaffProducts'>>('GET', '/v1/staff/products'), 'products');
  return (id) => products.data?.items.find((product) => product.id === id)?.name ?? id;
}

const termText = (contract: Pick<Contract, 'term' | 'autoRenew'>) =>
  `${contract.term === '1y' ? '1 year' : '1 month'}${contract.autoRenew ? ', renews' : ''}`;

export function ContractPage({ contractId }: { contractId: string }) {
  const contract = useLoad(() => api<Contract>('GET', staffPath.contract(contractId)), contractId);
  const productName = useProductNames();
  const nameOf = useNames([contract.data?.customerId]);
  const data = contract.data;
  return (
    <section>
      <PageTitle title={`Contract ${contractId}`} />
      <StaffNav />
      <SuccessNotice message={noticeOf()} />
      <ErrorNotice message={contract.error} />
      {!data && !contract.error ? <Loading what="the contract" /> : null}
      {data ? (
        <section className="panel" aria-labelledby="contract-facts">
          <h2 id="contract-facts">{data.source === 'marketplace' ? 'AWS Marketplace contract' : 'Sales contract'}</h2>
          <dl className="facts">
            <dt>Customer</dt>
            <dd>
              <Link to={`/staff/customers/${data.customerId}`}>{nameOf(data.customerId)}</Link>
            </dd>
            <dt>Product</dt>
            <dd>{productName(data.productId)}</dd>
            <dt>Term</dt>
            <dd>{termText(data)}</dd>
            <dt>Quantities</dt>
            <dd>{nodesText(data.quantities)}</dd>
            <dt>Period</dt>
            <dd>
              {day(data.startsAt)} to {day(data.endsAt)}
            </dd>
            <dt>Status</dt>
            <dd>{data.status}</dd>
            {data.externalId ? (
              <>
                <dt>Marketplace id</dt>
                <dd className="mono">{data.externalId}</dd>
              </>
            ) : null}
            <dt>Licenses</dt>
            <dd>
              <ul className="rows">
                {data.licenseIds.map((id) => (
                  <li key={id}>
                    <Link className="mono" to={`/staff/licenses/${id}`}>
                      {id}
                    </Link>
                  </li>
                ))}
              </ul>
            </dd>
          </dl>
        </section>
      ) : null}
    </section>
  );
}

export function NewContractPage() {
  const { search } = useLocation();
  const catalogue = useCatalogue(search.get('customerId'));
  const [term, setTerm] = useState<'1m' | '1y'>('1y');
  const [autoRenew, setAutoRenew] = useState(true);
  const [mode, setMode] = useState<'online' | 'offline'>('online');
  const [counts, setCounts] = useState<Record<string, string>>({});
  const [countsError, setCountsError] = useState<string | null>(null);
  const [grant, setGrant] = useState<FeaturesLimitsChoice>(NONE_CHOSEN);
  const [grantError, setGrantError] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const product = catalogue.product;

  const sell = async (event: FormEvent) => {
    event.preventDefault();
    setCountsError(null);
    setGrantError(null);
    if (!product || !catalogue.customerId) return;
    const quantities = countsFrom(Object.fromEntries(product.roles.map((role) => [role, counts[role] ?? ''])));
    if (!quantities.ok) return setCountsError(quantities.message);
    const granted = featuresAndLimitsFrom(product, grant);
    if (!granted.ok) return setGrantError(granted.message);
    const made = await run(() =>
      api<Answer<'postStaffContracts'>>('POST', '/v1/staff/contracts', {
        customerId: catalogue.customerId,
        productId: product.id,
        term,
        autoRenew,
        quantities: quantities.value,
        ...granted.value,
        mode,
      }),
    );
    if (made.ok)
      navigate(`/staff/licenses/${made.value.license.id}`, {
        notice: `The contract ${made.value.contract.id} is created, with this license.`,
      });
  };

  return (
    <section>
      <PageTitle title="New sales contract" />
      <StaffNav />
      <form noValidate className="form step" onSubmit={sell}>
        <ProductAndCustomer catalogue={catalogue} />
        {product ? (
          <RoleCounts
            legend={`Nodes of ${product.name} sold`}
            roles={product.roles}
            values={counts}
            onValues={setCounts}
            error={countsError}
          />
        ) : null}
        {product ? <FeaturesAndLimits product={product} choice={grant} onChoice={setGrant} error={grantError} /> : null}
        <fieldset className="choice">
          <legend>Term</legend>
          <label className="option-inline">
            <input type="radio" name="term" checked={term === '1m'} onChange={() => setTerm('1m')} /> 1 month
          </label>
          <label className="option-inline">
            <input type="radio" name="term" checked={term === '1y'} onChange={() => setTerm('1y')} /> 1 year
          </label>
          <label className="option-inline">
            <input type="checkbox" checked={autoRenew} onChange={(event) => setAutoRenew(event.target.checked)} /> Renews automatically
          </label>
        </fieldset>
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
            Create contract and license
          </button>
        </div>
      </form>
    </section>
  );
}
