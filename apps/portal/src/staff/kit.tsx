/** What the staff pages share: loading an answer, the section's navigation, and node counts per role as fields. */
import { useCallback, useEffect, useState } from 'react';
import { useId } from 'react';
import { Link, useLocation } from '../router';
import { useUser } from '../session';
import { CAN, staffMessageOf } from './api';

/** An answer of the API for the page: loaded on mount and when `key` changes; reload() asks again. */
export function useLoad<T>(load: () => Promise<T>, key: string) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (answer) => {
        if (!current) return;
        setData(answer);
        setError(null);
      },
      (failure: unknown) => current && setError(staffMessageOf(failure)),
    );
    return () => {
      current = false;
    };
    // load is rebuilt on every render; `key` says when what it asks for changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, attempt]);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { data, error, reload, setData };
}

const SECTIONS = [
  { to: '/staff', label: 'Home', exact: true },
  { to: '/staff/customers', label: 'Customers' },
  { to: '/staff/contracts', label: 'Contracts' },
  { to: '/staff/request-code', label: 'Request code → key', sell: true },
  { to: '/staff/products', label: 'Products' },
  { to: '/staff/packages', label: 'Packages' },
  { to: '/staff/clones', label: 'Clones' },
  { to: '/staff/audit', label: 'Audit log' },
  { to: '/staff/keys', label: 'Signing keys' },
  { to: '/staff/users', label: 'Staff users' },
  { to: '/staff/brand', label: 'Brand', administer: true },
];

export function StaffNav() {
  const { path } = useLocation();
  const user = useUser();
  return (
    <nav className="subnav" aria-label="Staff">
      <ul>
        {SECTIONS.filter((section) => (!section.sell || CAN.sell(user.role)) && (!section.administer || CAN.administer(user.role))).map(
          (section) => {
            const current = section.exact ? path === section.to : path === section.to || path.startsWith(`${section.to}/`);
            return (
              <li key={section.to}>
                <Link to={section.to} aria-current={current ? 'page' : undefined}>
                  {section.label}
                </Link>
              </li>
            );
          },
        )}
      </ul>
    </nav>
  );
}

/** One whole-number field per role of a product ("query nodes", "storage nodes"). */
export function RoleCounts({
  legend,
  roles,
  values,
  onValues,
  error,
}: {
  legend: string;
  roles: string[];
  values: Record<string, string>;
  onValues(values: Record<string, string>): void;
  error?: string | null;
}) {
  const id = useId();
  return (
    <fieldset className="choice counts" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{legend}</legend>
      <div className="count-fields">
        {roles.map((role) => (
          <div className="field" key={role}>
            <label htmlFor={`${id}-${role}`}>{role} nodes</label>
            <input
              id={`${id}-${role}`}
              type="text"
              inputMode="numeric"
              autoComplete="off"
              value={values[role] ?? ''}
              aria-invalid={error ? true : undefined}
              onChange={(event) => onValues({ ...values, [role]: event.target.value })}
            />
          </div>
        ))}
      </div>
      {error ? (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
