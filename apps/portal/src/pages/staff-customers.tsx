/**
 * Customers (/staff/customers): the list with a name search and CREATE; one customer (/staff/customers/{id}) with
 * its users, contracts, license cards and INVITE (a setup link mailed to the customer's first user).
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import type { Answer, LicenseCardPage } from '../api';
import { useAction } from '../components/action';
import { Field } from '../components/fields';
import { StatusBadge } from '../components/license-bits';
import { ErrorNotice, Loading, PageTitle, SuccessNotice } from '../components/page';
import { day, fromNow, modeLabel, nodesText } from '../format';
import { Fact } from './license-details';
import { Link, navigate, noticeOf, useLocation } from '../router';
import { useUser } from '../session';
import { CAN, staffMessageOf, staffPath } from '../staff/api';
import type { CustomerDetails, CustomerSummary, Page } from '../staff/api';
import { StaffNav, useLoad } from '../staff/kit';

function fetchCustomers(q: string, cursor: string | null): Promise<Page<CustomerSummary>> {
  const query = new URLSearchParams({ limit: '50', ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) });
  return api<Page<CustomerSummary>>('GET', `/v1/staff/customers?${query}`);
}

export function CustomersPage() {
  const user = useUser();
  const { search } = useLocation();
  const q = search.get('q') ?? '';
  const list = useLoad(() => fetchCustomers(q, null), q);
  const more = useAction();
  const next = async () => {
    if (!list.data?.nextCursor) return;
    const page = await more.run(() => fetchCustomers(q, list.data!.nextCursor));
    if (page.ok) list.setData({ items: [...list.data.items, ...page.value.items], nextCursor: page.value.nextCursor });
  };

  return (
    <section>
      <PageTitle title="Customers" />
      <StaffNav />
      <div className="columns">
        <div>
          {/* Keyed by the search in the address, so going back shows the words of that search. */}
          <CustomerSearch key={q} q={q} />
          <ErrorNotice message={list.error} />
          {!list.data && !list.error ? <Loading what="the customers" /> : null}
          {list.data?.items.length === 0 ? (
            <p className="empty">{q ? `No customer's name contains "${q}".` : 'No customers yet.'}</p>
          ) : null}
          {list.data && list.data.items.length > 0 ? (
            <ul className="rows" aria-label={q ? `Customers whose name contains "${q}"` : 'Customers'}>
              {list.data.items.map((customer) => (
                <li key={customer.id}>
                  <Link to={`/staff/customers/${customer.id}`}>{customer.name}</Link>{' '}
                  <span className="muted small">
                    <span className="mono">{customer.id}</span> · since {day(customer.createdAt)}
                  </span>
                </li>
              ))}
            </ul>
          ) : null}
          <ErrorNotice message={more.error} />
          {list.data?.nextCursor ? (
            <button type="button" className="secondary" disabled={more.busy} onClick={() => void next()}>
              Show more customers
            </button>
          ) : null}
        </div>
        {CAN.sell(user.role) ? <CreateCustomer /> : null}
      </div>
    </section>
  );
}

function CustomerSearch({ q }: { q: string }) {
  const [typed, setTyped] = useState(q);
  const find = (event: FormEvent) => {
    event.preventDefault();
    const text = typed.trim();
    navigate(text ? `/staff/customers?${new URLSearchParams({ q: text })}` : '/staff/customers');
  };
  return (
    <form noValidate className="search" role="search" onSubmit={find}>
      <Field label="Find customers by name" type="search" value={typed} onValue={setTyped} autoComplete="off" />
      <button type="submit">Search</button>
    </form>
  );
}

function CreateCustomer() {
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();
  const create = async (event: FormEvent) => {
    event.preventDefault();
    const made = await run(() => api<Answer<'postStaffCustomers'>>('POST', '/v1/staff/customers', { name }));
    if (made.ok) navigate(`/staff/customers/${made.value.id}`, { notice: `The customer ${made.value.name} is created.` });
  };
  return (
    <form noValidate className="panel form" onSubmit={create} aria-labelledby="new-customer">
      <h2 id="new-customer">New customer</h2>
      <Field label="Company name" value={name} onValue={setName} autoComplete="organization" error={error} required />
      <div>
        <button type="submit" disabled={busy}>
          Create customer
        </button>
      </div>
    </form>
  );
}

export function CustomerPage({ customerId }: { customerId: string }) {
  const user = useUser();
  const customer = useLoad(() => api<CustomerDetails>('GET', staffPath.customer(customerId)), customerId);
  const cards = useLoad(() => api<LicenseCardPage>('GET', `${staffPath.customer(customerId)}/licenses?limit=50`), customerId);
  const moreCards = useAction();
  const nextCards = async () => {
    const cursor = cards.data?.nextCursor;
    if (!cards.data || !cursor) return;
    const query = new URLSearchParams({ limit: '50', cursor });
    const page = await moreCards.run(() => api<LicenseCardPage>('GET', `${staffPath.customer(customerId)}/licenses?${query}`));
    if (page.ok) cards.setData({ items: [...cards.data.items, ...page.value.items], nextCursor: page.value.nextCursor });
  };
  const data = customer.data;
  return (
    <section>
      <PageTitle title={data ? data.name : 'Customer'} />
      <StaffNav />
      <p>
        <Link to="/staff/customers">All customers</Link>
      </p>
      <SuccessNotice message={noticeOf()} />
      <ErrorNotice message={customer.error} />
      {!data && !customer.error ? <Loading what="the customer" /> : null}
      {data ? (
        <div className="panels">
          <section className="panel" aria-labelledby="customer-facts">
            <h2 id="customer-facts">Customer</h2>
            <dl className="facts">
              <dt>Id</dt>
              <dd className="mono">{data.id}</dd>
              <dt>Since</dt>
              <dd>{day(data.createdAt)}</dd>
              <dt>Licenses</dt>
              <dd>{data.licenseCount}</dd>
            </dl>
            {CAN.sell(user.role) ? (
              <div className="actions">
                <Link className="button" to={`/staff/contracts/new?customerId=${data.id}`}>
                  New sales contract
                </Link>
                <Link className="button secondary" to={`/staff/licenses/new?customerId=${data.id}`}>
                  New license
                </Link>
              </div>
            ) : null}
          </section>
          <section className="panel" aria-labelledby="customer-users">
            <h2 id="customer-users">Users</h2>
            {data.users.length === 0 ? <p className="muted">No user has registered yet.</p> : null}
            <ul className="rows">
              {data.users.map((person) => (
                <li key={person.id}>
                  {person.name} <span className="muted small">{person.email}</span> <span className="small">({person.status})</span>
                </li>
              ))}
            </ul>
            {CAN.sell(user.role) ? <Invite customerId={data.id} /> : null}
          </section>
          <section className="panel" aria-labelledby="customer-contracts">
            <h2 id="customer-contracts">Contracts</h2>
            {data.contracts.items.length === 0 ? <p className="muted">No contracts yet.</p> : null}
            <ul className="rows">
              {data.contracts.items.map((contract) => (
                <li key={contract.id}>
                  <Link to={`/staff/contracts/${contract.id}`} className="mono">
                    {contract.id}
                  </Link>{' '}
                  <span className="small">
                    {contract.term === '1y' ? '1 year' : '1 month'} · {nodesText(contract.quantities)} · to {day(contract.endsAt)} ·{' '}
                    {contract.status}
                  </span>
                </li>
              ))}
            </ul>
            {data.contracts.nextCursor ? <Link to={`/staff/contracts?customerId=${data.id}`}>All contracts of {data.name}</Link> : null}
          </section>
        </div>
      ) : null}
      <section aria-labelledby="customer-licenses">
        <h2 id="customer-licenses">Licenses</h2>
        <ErrorNotice message={cards.error} />
        {cards.data?.items.length === 0 ? <p className="empty">No licenses yet.</p> : null}
        {cards.data && cards.data.items.length > 0 ? (
          <ul className="cards" aria-label="Licenses of the customer">
            {cards.data.items.map((card) => (
              <li key={card.id}>
                <article className="card" aria-labelledby={`card-${card.id}`}>
                  <header className="card-head">
                    <h3 id={`card-${card.id}`}>{card.product.name}</h3>
                    <StatusBadge status={card.status} />
                  </header>
                  <dl className="facts">
                    <dt>LMID</dt>
                    <dd className={card.lmid ? 'mono' : 'muted'}>{card.lmid ?? 'not bound'}</dd>
                    <dt>Expires</dt>
                    <dd>
                      {day(card.expiresAt)} <span className="muted">({fromNow(card.expiresAt)})</span>
                    </dd>
                    <dt>Mode</dt>
                    <dd>{modeLabel(card.mode)}</dd>
                    <dt>Nodes</dt>
                    <dd>{nodesText(card.nodes)}</dd>
                    {Object.keys(card.limits).length > 0 ? <Fact term="Limits" value={nodesText(card.limits)} /> : null}
                    {card.features.length > 0 ? <Fact term="Features" value={card.features.join(', ')} /> : null}
                  </dl>
                  <div className="actions">
                    <Link
                      className="button"
                      to={`/staff/licenses/${card.id}`}
                      aria-label={`Open license ${card.id} (${card.product.name})`}
                    >
                      Open license
                    </Link>
                  </div>
                </article>
              </li>
            ))}
          </ul>
        ) : null}
        <ErrorNotice message={moreCards.error} />
        {cards.data?.nextCursor ? (
          <button type="button" className="secondary" disabled={moreCards.busy} onClick={() => void nextCards()}>
            Show more licenses
          </button>
        ) : null}
      </section>
    </section>
  );
}

function Invite({ customerId }: { customerId: string }) {
  const [email, setEmail] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const invite = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const answer = await api<Answer<'postStaffCustomersByCustomerIdInvite'>>('POST', `${staffPath.customer(customerId)}/invite`, {
        email,
      });
      setDone(answer.message);
      setEmail('');
    } catch (failure) {
      setError(staffMessageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form noValidate className="form" onSubmit={invite}>
      <Field
        label="Invite a user by email"
        type="email"
        value={email}
        onValue={setEmail}
        autoComplete="off"
        hint="A setup link is mailed to this address; the user registers from it."
        error={error}
        required
      />
      <div>
        <button type="submit" disabled={busy}>
          Invite
        </button>
      </div>
      <SuccessNotice message={done} />
    </form>
  );
}
