/**
 * Staff administration: LMIDs flagged as clones (/staff/clones), the audit log with its chain status
 * (/staff/audit), the signing keys with ROTATE (/staff/keys) and the staff users with their roles (/staff/users).
 * Admin-only actions are shown to admins; the License Center refuses them to anyone else anyway.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import { useAction } from '../components/action';
import { Field } from '../components/fields';
import { ErrorNotice, Loading, PageTitle, SuccessNotice } from '../components/page';
import { dayTime } from '../format';
import { Link } from '../router';
import { useUser } from '../session';
import { CAN, STAFF_ROLES } from '../staff/api';
import type { AuditVerification, SigningKey, StaffRole } from '../staff/api';
import { StaffNav, useLoad } from '../staff/kit';
import { useNames } from '../staff/names';
import { OneTimeLink, StaffUsersTable } from '../staff/users';
import type { Answer } from '../api';

export function ClonesPage() {
  const clones = useLoad(() => api<Answer<'getStaffClones'>>('GET', '/v1/staff/clones'), 'clones');
  return (
    <section>
      <PageTitle title="Clones" />
      <StaffNav />
      <p>LMIDs seen syncing from more than one host: most likely a License Manager&apos;s data folder copied to another machine.</p>
      <ErrorNotice message={clones.error} />
      {!clones.data && !clones.error ? <Loading what="the clones" /> : null}
      {clones.data?.items.length === 0 ? <p className="empty">No LMID has synced from more than one host.</p> : null}
      {clones.data && clones.data.items.length > 0 ? (
        <ul className="rows" aria-label="LMIDs flagged as clones">
          {clones.data.items.map((clone) => (
            <li key={clone.lmid}>
              <span className="mono">{clone.lmid}</span>: {clone.hostnames.join(', ')}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

const AUDIT_PAGE = 50;

export function AuditPage() {
  const chain = useLoad(() => api<AuditVerification>('GET', '/v1/staff/audit/verify'), 'verify');
  const events = useLoad(() => api<Answer<'getStaffAudit'>>('GET', `/v1/staff/audit?limit=${AUDIT_PAGE}`), 'audit');
  const more = useAction();
  const last = events.data?.items.at(-1);
  const nameOf = useNames(events.data?.items.flatMap((event) => [event.actor, event.subject]) ?? []);
  const older = async () => {
    if (!events.data || !last) return;
    const page = await more.run(() => api<Answer<'getStaffAudit'>>('GET', `/v1/staff/audit?limit=${AUDIT_PAGE}&beforeSeq=${last.seq}`));
    if (page.ok) events.setData({ items: [...events.data.items, ...page.value.items] });
  };
  return (
    <section>
      <PageTitle title="Audit log" />
      <StaffNav />
      <section className="panel" aria-labelledby="chain">
        <h2 id="chain">Chain status</h2>
        <ErrorNotice message={chain.error} />
        {chain.data?.ok ? (
          <p className="notice notice-ok">Intact: all {chain.data.events} events link to each other and match their hashes.</p>
        ) : chain.data ? (
          <p className="notice notice-error">
            Broken at event {chain.data.brokenAt} (the {chain.data.events} events before it are intact): {chain.data.reason}
          </p>
        ) : chain.error ? null : (
          <Loading what="the chain check" />
        )}
        <button type="button" className="secondary" onClick={chain.reload}>
          Check again
        </button>
      </section>
      <h2>Events, newest first</h2>
      <ErrorNotice message={events.error} />
      {events.data ? (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Audit events">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">About</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.data.items.map((event) => (
                <tr key={event.seq}>
                  <td>{event.seq}</td>
                  <td>{dayTime(event.at)}</td>
                  <td className="small">{nameOf(event.actor)}</td>
                  <td>{actionText(event.action)}</td>
                  <td className="small">
                    <Subject id={event.subject} name={nameOf(event.subject)} />
                  </td>
                  <td className="small details-cell">
                    <AuditDetails data={event.data} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : events.error ? null : (
        <Loading what="the audit log" />
      )}
      <ErrorNotice message={more.error} />
      {last && last.seq > 1 ? (
        <button type="button" className="secondary" disabled={more.busy} onClick={() => void older()}>
          Show older events
        </button>
      ) : null}
    </section>
  );
}

export function KeysPage() {
  const user = useUser();
  const keys = useLoad(() => api<Answer<'getStaffKeys'>>('GET', '/v1/staff/keys'), 'keys');
  const rotate = useAction();
  const [done, setDone] = useState<string | null>(null);
  const doRotate = async () => {
    setDone(null);
    const made = await rotate.run(() => api<SigningKey>('POST', '/v1/staff/keys/rotate'));
    if (made.ok) {
      setDone(
        `The new active key is ${made.value.kid}; the old one is retired and still trusted. Give License Managers the new trust bundle.`,
      );
      keys.reload();
    }
  };
  return (
    <section>
      <PageTitle title="Signing keys" />
      <StaffNav />
      <p>
        The keys that sign licenses. License Managers trust the ones in the <a href="/v1/trust-bundle">trust bundle</a>.
      </p>
      <ErrorNotice message={keys.error} />
      {keys.data ? (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Signing keys">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Key id</th>
                <th scope="col">State</th>
                <th scope="col">Made</th>
                <th scope="col">Retired</th>
                <th scope="col">Public key</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((key) => (
                <tr key={key.kid}>
                  <td className="mono">{key.kid}</td>
                  <td>{key.state}</td>
                  <td>{dayTime(key.createdAt)}</td>
                  <td>{key.retiredAt ? dayTime(key.retiredAt) : '—'}</td>
                  <td className="mono small details-cell">{key.publicKey}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : keys.error ? null : (
        <Loading what="the signing keys" />
      )}
      {CAN.administer(user.role) ? (
        <div className="actions">
          <button type="button" disabled={rotate.busy} onClick={() => void doRotate()}>
            Rotate the signing key
          </button>
        </div>
      ) : null}
      <ErrorNotice message={rotate.error} />
      <SuccessNotice message={done} />
    </section>
  );
}

export function StaffUsersPage() {
  const user = useUser();
  const users = useLoad(() => api<Answer<'getStaffUsers'>>('GET', '/v1/staff/users'), 'users');
  const [link, setLink] = useState<{ email: string; loginLink: string } | null>(null);
  return (
    <section>
      <PageTitle title="Staff users" />
      <StaffNav />
      <ErrorNotice message={users.error} />
      {link ? <OneTimeLink email={link.email} loginLink={link.loginLink} onDone={() => setLink(null)} /> : null}
      {users.data ? (
        <StaffUsersTable
          users={users.data.items}
          admin={CAN.administer(user.role)}
          self={user.id}
          onChanged={users.reload}
          onLink={setLink}
        />
      ) : users.error ? null : (
        <Loading what="the staff users" />
      )}
      {CAN.administer(user.role) ? (
        <NewStaffUser
          onCreated={(created) => {
            setLink(created);
            users.reload();
          }}
        />
      ) : null}
    </section>
  );
}

function NewStaffUser({ onCreated }: { onCreated(link: { email: string; loginLink: string }): void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<StaffRole>('sales');
  const { busy, error, run } = useAction();
  const create = async (event: FormEvent) => {
    event.preventDefault();
    const made = await run(() =>
      api<Answer<'postStaffUsers'>>('POST', '/v1/staff/users', { email, role, ...(name.trim() ? { name } : {}) }),
    );
    if (made.ok) {
      onCreated({ email, loginLink: made.value.loginLink });
      setEmail('');
      setName('');
    }
  };
  return (
    <form noValidate className="panel form" onSubmit={create} aria-labelledby="new-staff">
      <h2 id="new-staff">New staff user</h2>
      <Field label="Email" type="email" value={email} onValue={setEmail} autoComplete="off" required />
      <Field label="Name (optional)" value={name} onValue={setName} autoComplete="off" />
      <div className="field">
        <label htmlFor="new-staff-role">Role</label>
        <select id="new-staff-role" value={role} onChange={(event) => setRole(event.target.value as StaffRole)}>
          {STAFF_ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      <ErrorNotice message={error} />
      <div>
        <button type="submit" disabled={busy}>
          Create staff user
        </button>
      </div>
    </form>
  );
}

/** "license.created" → "License created": the words, as the history pages say them. */
function actionText(action: string): string {
  const words = action.replace(/[._]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The subject by name, linked where a staff page shows it; its id beneath, for searching. */
function Subject({ id, name }: { id: string; name: string }) {
  const to = id.startsWith('cus_')
    ? `/staff/customers/${id}`
    : id.startsWith('lic_')
      ? `/staff/licenses/${id}`
      : id.startsWith('ctr_')
        ? `/staff/contracts/${id}`
        : null;
  const label = name === id ? <span className="mono">{id}</span> : name;
  return (
    <>
      {to ? <Link to={to}>{label}</Link> : label}
      {name !== id ? <span className="mono muted block">{id}</span> : null}
    </>
  );
}

/** An event's data as "key: value" lines; times (…At, epoch milliseconds) as dates, lists joined, objects inline. */
function AuditDetails({ data }: { data: Record<string, unknown> }) {
  const entries = Object.entries(data ?? {});
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <dl className="audit-details">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{detailText(key, value)}</dd>
        </div>
      ))}
    </dl>
  );
}

function detailText(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number' && /(At|Time)$/.test(key) && value > 946_684_800_000) return dayTime(value);
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(', ');
  if (typeof value === 'object')
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(', ');
  return String(value);
}
