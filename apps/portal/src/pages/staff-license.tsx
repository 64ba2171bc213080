/**
 * One license for staff (/staff/licenses/{id}, where the mailed renewal request points): the details the customer
 * sees, and what the staff member's role may do to it: RENEW, EXPAND, FEATURES AND LIMITS, SUSPEND / RESUME, outage grace,
 * REBIND, mode. Each change is mailed to the customer's users by the License Center, with what to do.
 */
import { useState } from 'react';
import { api } from '../api';
import type { LicenseDetails } from '../api';
import { StatusBadge } from '../components/license-bits';
import { graceSourceText, OutageGraceFact } from '../components/outage-grace';
import { ErrorNotice, Loading, PageTitle, SuccessNotice } from '../components/page';
import { day, fromNow, modeLabel, nodesText } from '../format';
import { Link, noticeOf } from '../router';
import { useUser } from '../session';
import { CAN, staffPath } from '../staff/api';
import { StaffNav, useLoad } from '../staff/kit';
import {
  Disclosure,
  ExpandForm,
  FeaturesLimitsForm,
  ModeForm,
  OutageGraceForm,
  RebindForm,
  RenewForm,
  StatusForm,
} from '../staff/license-actions';
import { Fact, HistorySection } from './license-details';

export function StaffLicensePage({ licenseId }: { licenseId: string }) {
  const user = useUser();
  const license = useLoad(() => api<LicenseDetails>('GET', staffPath.license(licenseId)), licenseId);
  const [changed, setChanged] = useState<string | null>(noticeOf());
  const data = license.data;

  const onChanged = async (message: string) => {
    setChanged(null);
    try {
      license.setData(await api<LicenseDetails>('GET', staffPath.license(licenseId)));
    } catch {
      license.reload();
    }
    setChanged(message);
  };

  if (!data)
    return (
      <section>
        <PageTitle title="License" />
        <StaffNav />
        {license.error ? <ErrorNotice message={license.error} /> : <Loading what="the license" />}
      </section>
    );
  const { basic, resources, subscription, key } = data;
  const sell = CAN.sell(user.role);
  return (
    <section className="details">
      <PageTitle title={`${resources.product.name} license`} />
      <StaffNav />
      <p className="mono small">{basic.id}</p>
      <SuccessNotice message={changed} />
      <ErrorNotice message={license.error} />
      <div className="panels">
        <section className="panel" aria-labelledby="basic-info">
          <h2 id="basic-info">Basic Info</h2>
          <dl className="facts">
            <dt>Customer</dt>
            <dd>
              <Link to={`/staff/customers/${basic.customer.id}`}>{basic.customer.name}</Link>
            </dd>
            <dt>LMID</dt>
            <dd className={basic.lmid ? 'mono' : 'muted'}>{basic.lmid ?? 'not bound'}</dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={basic.status} />
            </dd>
            <dt>Valid</dt>
            <dd>
              {day(basic.startsAt)} to {day(basic.expiresAt)} <span className="muted">({fromNow(basic.expiresAt)})</span>
            </dd>
            <Fact term="Mode" value={modeLabel(key.mode)} />
            <Fact term="Serial" value={String(basic.serial)} />
            <Fact term="Type" value={basic.type} />
          </dl>
        </section>
        <section className="panel" aria-labelledby="resources">
          <h2 id="resources">Purchased Resources</h2>
          <dl className="facts">
            <Fact term="Product" value={`${resources.product.name} (${resources.product.slug})`} />
            <Fact term="Nodes" value={nodesText(resources.nodes)} />
            {Object.entries(resources.limits).map(([limit, value]) => (
              <Fact key={limit} term={`${limit} limit`} value={String(value)} />
            ))}
            <Fact term="Features" value={resources.features.length ? resources.features.join(', ') : 'none'} />
            <OutageGraceFact hours={resources.outageGraceHours} source={graceSourceText(resources.outageGraceOverride)} audience="staff" />
          </dl>
        </section>
        <section className="panel" aria-labelledby="subscription">
          <h2 id="subscription">Subscription</h2>
          {subscription ? (
            <dl className="facts">
              <dt>Contract</dt>
              <dd>
                <Link className="mono" to={`/staff/contracts/${subscription.id}`}>
                  {subscription.id}
                </Link>
              </dd>
              <Fact term="Bought through" value={subscription.source === 'marketplace' ? 'AWS Marketplace' : 'Sales'} />
              <Fact term="Term" value={`${subscription.term === '1y' ? '1 year' : '1 month'}${subscription.autoRenew ? ', renews' : ''}`} />
              <Fact term="Period" value={`${day(subscription.startsAt)} to ${day(subscription.endsAt)}`} />
              <Fact term="Status" value={subscription.status} />
            </dl>
          ) : (
            <p className="muted">Issued without a contract.</p>
          )}
        </section>
        {data.usage ? (
          <section className="panel" aria-labelledby="usage">
            <h2 id="usage">Usage</h2>
            <dl className="facts">
              <Fact term="In use" value={nodesText(data.usage.usage)} />
              <Fact term="Last sync" value={day(data.usage.reportedAt)} />
              <Fact term="Host" value={`${data.usage.host.hostname} (${data.usage.host.os}), LM ${data.usage.lmVersion}`} />
            </dl>
          </section>
        ) : null}
      </div>
      <section className="panel staff-actions" aria-labelledby="license-actions">
        <h2 id="license-actions">Actions</h2>
        <div className="actions">
          {sell ? (
            <Disclosure label="Renew">
              <RenewForm license={data} onChanged={onChanged} />
            </Disclosure>
          ) : null}
          {sell ? (
            <Disclosure label="Expand">
              <ExpandForm license={data} onChanged={onChanged} />
            </Disclosure>
          ) : null}
          {sell ? (
            <Disclosure label="Features and limits">
              <FeaturesLimitsForm key={basic.serial} license={data} onChanged={onChanged} />
            </Disclosure>
          ) : null}
          {sell &&
          (basic.status === 'suspended' || basic.status === 'active' || basic.status === 'expiring' || basic.status === 'grace') ? (
            <Disclosure
              key={basic.status === 'suspended' ? 'resume' : 'suspend'}
              label={basic.status === 'suspended' ? 'Resume' : 'Suspend'}
            >
              <StatusForm license={data} onChanged={onChanged} />
            </Disclosure>
          ) : null}
          {sell ? (
            <Disclosure label="Outage grace">
              <OutageGraceForm key={basic.serial} license={data} onChanged={onChanged} />
            </Disclosure>
          ) : null}
          {CAN.rebind(user.role) && basic.lmid ? (
            <Disclosure label="Rebind">
              <RebindForm license={data} onChanged={onChanged} />
            </Disclosure>
          ) : null}
          <Disclosure label="Mode">
            <ModeForm key={key.mode} license={data} onChanged={onChanged} />
          </Disclosure>
        </div>
        <p className="hint">The customer&apos;s users are mailed each change, with what to do on their License Manager.</p>
        {!sell && !CAN.rebind(user.role) ? (
          <p className="hint">Your role can switch the mode; other changes are for sales and admins.</p>
        ) : null}
      </section>
      <HistorySection history={data.history} />
    </section>
  );
}
