/** The staff home (/staff): what the role may do, and the customers' open renewal requests with links to the licenses. */
import { api } from '../api';
import { ErrorNotice, Loading, PageTitle } from '../components/page';
import { day, dayTime } from '../format';
import { Link } from '../router';
import { useUser } from '../session';
import { CAN } from '../staff/api';
import { StaffNav, useLoad } from '../staff/kit';
import { useNames } from '../staff/names';
import type { Answer } from '../api';

const ROLE_TEXT = {
  admin: 'As an admin you can do everything: sell, move bindings, manage products, staff users and signing keys.',
  sales: 'As sales you manage customers, contracts and licenses (create, renew, expand, suspend) and issue keys from request codes.',
  support: 'As support you can read everything and move a license to another License Manager (rebind).',
} as const;

export function StaffHomePage() {
  const user = useUser();
  const requests = useLoad(() => api<Answer<'getStaffRenewalRequests'>>('GET', '/v1/staff/renewal-requests'), 'renewals');
  const role = user.role === 'customer' ? null : user.role;
  const nameOf = useNames(requests.data?.items.map((request) => request.requestedBy) ?? []);
  return (
    <section>
      <PageTitle title="Staff" />
      <StaffNav />
      <p>
        Logged in as {user.email} ({user.role}). {role ? ROLE_TEXT[role] : null}
      </p>
      <FirstSteps />
      {CAN.sell(user.role) ? (
        <div className="actions">
          <Link className="button" to="/staff/customers">
            Customers
          </Link>
          <Link className="button secondary" to="/staff/contracts/new">
            New sales contract
          </Link>
          <Link className="button secondary" to="/staff/request-code">
            Key from a request code
          </Link>
        </div>
      ) : null}
      <section className="panel" aria-labelledby="renewals">
        <h2 id="renewals">Open renewal requests</h2>
        <ErrorNotice message={requests.error} />
        {!requests.data && !requests.error ? <Loading what="the renewal requests" /> : null}
        {requests.data?.items.length === 0 ? <p className="empty">No customer is waiting for a renewal.</p> : null}
        {requests.data && requests.data.items.length > 0 ? (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Open renewal requests">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">License</th>
                  <th scope="col">Customer</th>
                  <th scope="col">Asked for</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Asked</th>
                </tr>
              </thead>
              <tbody>
                {requests.data.items.map((request) => (
                  <tr key={`${request.licenseId}-${request.requestedAt}`}>
                    <td>
                      <Link to={`/staff/licenses/${request.licenseId}`}>
                        {request.product} <span className="mono small">{request.licenseId}</span>
                      </Link>
                    </td>
                    <td>
                      <Link to={`/staff/customers/${request.customer.id}`}>{request.customer.name}</Link>
                    </td>
                    <td>{request.months === 12 ? '1 year' : '1 month'}</td>
                    <td>{day(request.expiresAt)}</td>
                    <td>
                      {dayTime(request.requestedAt)} <span className="muted">by {nameOf(request.requestedBy)}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </section>
  );
}

const STEPS = [
  { key: 'product', to: '/staff/products', todo: 'Add a product', what: 'its node roles, limits and features (admin)' },
  { key: 'customer', to: '/staff/customers', todo: 'Add a customer', what: 'the company that buys' },
  { key: 'contract', to: '/staff/contracts/new', todo: 'Sell a contract', what: 'which grants the customer its license' },
  {
    key: 'invited',
    to: '/staff/customers',
    todo: 'Invite the customer’s users',
    what: 'from the customer’s page; they bind a License Manager and copy the key',
  },
] as const;

/** The first steps of a new License Center, each a link until it is done; gone once all are. */
function FirstSteps() {
  const steps = useLoad(() => api<Answer<'getStaffFirstSteps'>>('GET', '/v1/staff/first-steps'), 'first-steps');
  if (!steps.data || STEPS.every((step) => steps.data![step.key])) return null;
  const done = steps.data;
  return (
    <section className="panel" aria-labelledby="first-steps">
      <h2 id="first-steps">First steps</h2>
      <ol className="first-steps">
        {STEPS.map((step) =>
          done[step.key] ? (
            <li key={step.key} className="done">
              <span className="muted">{step.todo}: done</span>
            </li>
          ) : (
            <li key={step.key}>
              <Link to={step.to}>{step.todo}</Link> <span className="muted">— {step.what}</span>
            </li>
          ),
        )}
      </ol>
    </section>
  );
}
