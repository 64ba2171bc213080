/** The staff users table: each account's role and status; for admins, change the role, disable, or a new login link. */
import { useState } from 'react';
import { api } from '../api';
import { copyText } from '../clipboard';
import { useAction } from '../components/action';
import { ErrorNotice, SuccessNotice } from '../components/page';
import { dayTime } from '../format';
import { STAFF_ROLES, staffPath } from './api';
import type { StaffRole, StaffUser } from './api';
import type { Answer } from '../api';

interface TableProps {
  users: StaffUser[];
  admin: boolean;
  self: string;
  onChanged(): void;
  onLink(link: { email: string; loginLink: string }): void;
}

export function StaffUsersTable({ users, admin, self, onChanged, onLink }: TableProps) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Staff users">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Since</th>
            {admin ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {users.map((user) => (
            <UserRow key={user.id} user={user} admin={admin} self={user.id === self} onChanged={onChanged} onLink={onLink} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function UserRow({ user, admin, self, onChanged, onLink }: Omit<TableProps, 'users' | 'self'> & { user: StaffUser; self: boolean }) {
  const [role, setRole] = useState<StaffRole>(user.role);
  const { busy, error, run } = useAction();
  const active = user.status === 'active';
  const change = async (call: () => Promise<unknown>) => {
    if ((await run(call)).ok) onChanged();
  };
  const link = async () => {
    const made = await run(() => api<Answer<'postStaffUsersByUserIdLoginLink'>>('POST', `${staffPath.user(user.id)}/login-link`));
    if (made.ok) onLink({ email: user.email, loginLink: made.value.loginLink });
  };
  return (
    <tr>
      <th scope="row">
        {user.name} {self ? <span className="muted">(you)</span> : null}
        {user.name !== user.email ? <div className="muted small">{user.email}</div> : null}
      </th>
      <td>
        {admin && active ? (
          <select aria-label={`Role of ${user.email}`} value={role} onChange={(event) => setRole(event.target.value as StaffRole)}>
            {STAFF_ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        ) : (
          user.role
        )}
      </td>
      <td>{user.status}</td>
      <td>{dayTime(user.createdAt)}</td>
      {admin ? (
        <td>
          {active ? (
            <div className="actions compact">
              <button
                type="button"
                className="secondary small-button"
                disabled={busy || role === user.role}
                onClick={() => void change(() => api('PUT', `${staffPath.user(user.id)}/role`, { role }))}
              >
                Save role
              </button>
              <button type="button" className="secondary small-button" disabled={busy} onClick={() => void link()}>
                New login link
              </button>
              <button
                type="button"
                className="secondary small-button"
                disabled={busy}
                onClick={() => void change(() => api('POST', `${staffPath.user(user.id)}/disable`))}
              >
                Disable
              </button>
            </div>
          ) : null}
          <ErrorNotice message={error} />
        </td>
      ) : null}
    </tr>
  );
}

/** A one-time login link, shown once: the License Center does not keep it readable. */
export function OneTimeLink({ email, loginLink, onDone }: { email: string; loginLink: string; onDone(): void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () =>
    setCopied(
      (await copyText(loginLink)) ? 'The login link is copied.' : 'The browser did not allow copying: select the link and copy it.',
    );
  return (
    <section className="panel callout" aria-labelledby="one-time-link">
      <h2 id="one-time-link">Login link for {email}</h2>
      <p>Give it to its owner now: it is shown only once, works once, and for one hour.</p>
      <textarea className="key" readOnly rows={2} aria-label={`Login link for ${email}`} value={loginLink} />
      <div className="actions">
        <button type="button" onClick={() => void copy()}>
          Copy login link
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Done
        </button>
      </div>
      <SuccessNotice message={copied} />
    </section>
  );
}
