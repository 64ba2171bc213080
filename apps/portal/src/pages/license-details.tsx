/**
 * One license ("License Info"): Basic Info, Purchased Resources, License Key (with EDIT LICENSE MANAGER to switch
 * online/offline), Subscription, the usage the License Manager last reported (online), the product's installation
 * packages (Downloads), and the history.
 */
import { useCallback, useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { api, licensePath, messageOf } from '../api';
import type { LicenseDetails, Mode } from '../api';
import { DownloadsSection } from '../components/downloads';
import { KeyBox } from '../components/key-box';
import { ModeChoice, StatusBadge } from '../components/license-bits';
import { OutageGraceFact } from '../components/outage-grace';
import { ErrorNotice, Loading, PageTitle, SuccessNotice } from '../components/page';
import { RenewButton } from '../components/renew';
import { ago, day, dayTime, fromNow, modeLabel } from '../format';
import { Link } from '../router';

export function LicenseDetailsPage({ licenseId }: { licenseId: string }) {
  const [license, setLicense] = useState<LicenseDetails | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setLicense(await api<LicenseDetails>('GET', licensePath(licenseId)));
      setError(null);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }, [licenseId]);

  useEffect(() => {
    let current = true;
    api<LicenseDetails>('GET', licensePath(licenseId)).then(
      (details) => current && setLicense(details),
      (failure: unknown) => current && setError(messageOf(failure)),
    );
    return () => {
      current = false;
    };
  }, [licenseId]);

  if (!license) {
    return (
      <section>
        <PageTitle title="License" />
        {error ? <ErrorNotice message={error} /> : <Loading what="the license" />}
        <p>
          <Link to="/">Back to the licenses</Link>
        </p>
      </section>
    );
  }
  const { basic, resources, subscription } = license;
  return (
    <section className="details">
      <PageTitle title={`${resources.product.name} license`} />
      <p>
        <Link to="/">All licenses</Link>
      </p>
      <ErrorNotice message={error} />
      <div className="panels">
        <section className="panel" aria-labelledby="basic-info">
          <h2 id="basic-info">Basic Info</h2>
          <dl className="facts">
            <dt>License</dt>
            <dd className="mono">{basic.id}</dd>
            <dt>LMID</dt>
            <dd>
              {basic.lmid ? (
                <span className="mono">{basic.lmid}</span>
              ) : (
                <>
                  <span className="muted">not bound</span> <Link to={`/licenses/${basic.id}/bind`}>Bind a License Manager</Link>
                </>
              )}
            </dd>
            <dt>Type</dt>
            <dd>{basic.type}</dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={basic.status} />
            </dd>
            <dt>Start at</dt>
            <dd>{day(basic.startsAt)}</dd>
            <dt>Expire time</dt>
            <dd>
              {day(basic.expiresAt)} <span className="muted">({fromNow(basic.expiresAt)})</span>
            </dd>
            <dt>Serial</dt>
            <dd>{basic.serial}</dd>
          </dl>
        </section>

        <section className="panel" aria-labelledby="resources">
          <h2 id="resources">Purchased Resources</h2>
          <dl className="facts">
            <dt>Product</dt>
            <dd>
              {resources.product.name} <span className="muted mono">({resources.product.slug})</span>
            </dd>
            {Object.entries(resources.nodes).map(([role, count]) => (
              <Fact key={`node-${role}`} term={`${role} nodes`} value={String(count)} />
            ))}
            {Object.entries(resources.limits).map(([limit, value]) => (
              <Fact key={`limit-${limit}`} term={limit} value={String(value)} />
            ))}
            <dt>Features</dt>
            <dd>{resources.features.length ? resources.features.join(', ') : 'none'}</dd>
            <OutageGraceFact hours={resources.outageGraceHours} audience="customer" />
          </dl>
        </section>

        <KeySection license={license} onChanged={load} />

        <section className="panel" aria-labelledby="subscription">
          <h2 id="subscription">Subscription</h2>
          {subscription ? (
            <dl className="facts">
              <dt>Contract</dt>
              <dd className="mono">{subscription.id}</dd>
              <dt>Bought through</dt>
              <dd>{subscription.source === 'marketplace' ? 'AWS Marketplace' : 'Sales'}</dd>
              {subscription.externalId ? <Fact term="Marketplace id" value={subscription.externalId} /> : null}
              <dt>Term</dt>
              <dd>{subscription.term === '1y' ? '1 year' : '1 month'}</dd>
              <dt>Auto-renew</dt>
              <dd>{subscription.autoRenew ? 'yes' : 'no'}</dd>
              <dt>Period</dt>
              <dd>
                {day(subscription.startsAt)} to {day(subscription.endsAt)}
              </dd>
              <dt>Status</dt>
              <dd>{subscription.status}</dd>
            </dl>
          ) : (
            <p className="muted">This license was issued without a subscription.</p>
          )}
          <RenewButton licenseId={basic.id} productName={resources.product.name} />
        </section>

        {license.key.mode === 'online' ? <UsageSection license={license} /> : null}
      </div>
      <DownloadsSection licenseId={basic.id} />
      <HistorySection history={license.history} />
    </section>
  );
}

export function Fact({ term, value }: { term: string; value: string }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </>
  );
}

function KeySection({ license, onChanged }: { license: LicenseDetails; onChanged(): Promise<void> }) {
  const { key, basic } = license;
  const [editing, setEditing] = useState(false);
  const [mode, setMode] = useState<Mode>(key.mode);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const canCopy = basic.status !== 'suspended' && basic.status !== 'ended' && (key.mode === 'online' || key.offlineKeyAvailable);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await api('PUT', `${licensePath(basic.id)}/mode`, { mode });
      await onChanged();
      setEditing(false);
      setDone(
        mode === 'online'
          ? 'The license is in online mode: load the online key; the License Manager keeps the license in sync.'
          : 'The license is in offline mode: copy the offline key and load it.',
      );
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="license-key">
      <h2 id="license-key">License Key</h2>
      <dl className="facts">
        <dt>Mode</dt>
        <dd>{modeLabel(key.mode)}</dd>
        {key.mode === 'online' ? <Fact term="Online key" value={key.onlineKeyMasked} /> : null}
      </dl>
      {key.offlineKeyNote && key.mode === 'offline' ? <p className="hint">{key.offlineKeyNote}</p> : null}
      <SuccessNotice message={done} />
      {/* Remounted when the mode or serial changes, so a key fetched before is never shown for the new one. */}
      {canCopy ? <KeyBox key={`${key.mode}-${basic.serial}`} licenseId={basic.id} mode={key.mode} /> : null}
      {basic.lmid ? (
        <button
          type="button"
          className="secondary"
          aria-expanded={editing}
          onClick={() => {
            setMode(key.mode);
            setEditing(!editing);
          }}
        >
          Edit License Manager
        </button>
      ) : null}
      {editing ? (
        <form className="form" onSubmit={save}>
          <p>
            License Manager <span className="mono">{basic.lmid}</span>
          </p>
          <ModeChoice legend="How does this License Manager get its license?" value={mode} onChange={setMode} />
          <ErrorNotice message={error} />
          <div className="actions">
            <button type="submit" disabled={busy || mode === key.mode}>
              Switch to {mode}
            </button>
            <button type="button" className="secondary" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <ErrorNotice message={error} />
      )}
    </section>
  );
}

function UsageSection({ license }: { license: LicenseDetails }) {
  const { usage, resources } = license;
  return (
    <section className="panel" aria-labelledby="usage">
      <h2 id="usage">Usage</h2>
      {usage ? (
        <>
          <table className="table">
            <caption className="visually-hidden">Seats in use per role</caption>
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">In use</th>
                <th scope="col">Bought</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(resources.nodes).map(([role, total]) => (
                <tr key={role}>
                  <th scope="row">{role}</th>
                  <td>{usage.usage[role] ?? 0}</td>
                  <td>{total}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <dl className="facts">
            <dt>Last sync</dt>
            <dd>
              {dayTime(usage.reportedAt)} <span className="muted">({ago(usage.reportedAt)})</span>
            </dd>
            <Fact term="License Manager" value={`${usage.lmid}, version ${usage.lmVersion}`} />
            <Fact term="Host" value={`${usage.host.hostname} (${usage.host.os})`} />
          </dl>
        </>
      ) : (
        <p className="muted">
          The License Manager has not synced yet. Once it has loaded the online key and reached this License Center, its seats per role show
          here.
        </p>
      )}
    </section>
  );
}

const KIND_LABEL: Record<string, string> = {
  created: 'Created',
  bound: 'Bound to a License Manager',
  rebound: 'Moved to another License Manager',
  mode: 'Mode changed',
  renewed: 'Renewed',
  expanded: 'Nodes added',
  suspended: 'Suspended',
  resumed: 'Resumed',
  renewal_requested: 'Renewal requested',
  outage_grace: 'Outage grace changed',
};

export function HistorySection({ history }: { history: LicenseDetails['history'] }) {
  return (
    <section className="panel history" aria-labelledby="history">
      <h2 id="history">History</h2>
      {history.length === 0 ? (
        <p className="muted">No changes yet.</p>
      ) : (
        <ol className="timeline">
          {history.map((change, index) => (
            <li key={`${change.at}-${index}`}>
              <span className="when">{dayTime(change.at)}</span> <strong>{KIND_LABEL[change.kind] ?? change.kind}</strong>{' '}
              <span className="muted">serial {change.serial}</span>
              {describeChange(change.detail) ? <div className="small">{describeChange(change.detail)}</div> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** The parts of a change a customer cares about, in words. */
function describeChange(detail: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof detail.lmid === 'string') parts.push(`LMID ${detail.lmid}`);
  if (typeof detail.mode === 'string') parts.push(`${detail.mode} mode`);
  if (typeof detail.months === 'number') parts.push(`${detail.months === 12 ? '1 year' : `${detail.months} month(s)`} more`);
  if (typeof detail.expiresAt === 'number') parts.push(`expires ${day(detail.expiresAt)}`);
  if (typeof detail.outageGraceHours === 'number' && typeof detail.previous === 'number') {
    const source = detail.source === 'product' ? " (the product's default)" : '';
    parts.push(`outage grace ${detail.previous} h → ${detail.outageGraceHours} h${source}`);
  }
  if (typeof detail.reason === 'string') parts.push(`reason: ${detail.reason}`);
  return parts.join(' · ');
}
