/**
 * Request code → key (/staff/request-code): paste the code a License Manager printed (kept in this page's memory,
 * never in a URL), PREVIEW what it asks for (the verified LMID, contact, host, quantities), choose the customer and
 * product, adjust the quantities or months, ISSUE → the offline key, with a copy button.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import type { LicenseCardPage } from '../api';
import { useAction } from '../components/action';
import { ErrorNotice, PageTitle, SuccessNotice } from '../components/page';
import { copyText } from '../clipboard';
import { Field } from '../components/fields';
import { nodesText } from '../format';
import { Link } from '../router';
import { countsFrom, staffPath } from '../staff/api';
import type { LicenseView, RequestCodePreview } from '../staff/api';
import { ProductAndCustomer, useCatalogue } from '../staff/choosers';
import { RoleCounts, StaffNav, useLoad } from '../staff/kit';

export function RequestCodePage() {
  const [code, setCode] = useState('');
  const [preview, setPreview] = useState<RequestCodePreview | null>(null);
  const [issued, setIssued] = useState<{ license: LicenseView; offlineKey: string } | null>(null);
  const check = useAction();

  const read = async (event: FormEvent) => {
    event.preventDefault();
    setPreview(null);
    setIssued(null);
    const answer = await check.run(() => api<RequestCodePreview>('POST', '/v1/staff/request-codes/preview', { requestCode: code }));
    if (answer.ok) setPreview(answer.value);
  };

  return (
    <section>
      <PageTitle title="Key from a request code" />
      <StaffNav />
      <form noValidate className="form step" onSubmit={read}>
        <div className="field">
          <label htmlFor="request-code">Request code</label>
          <p className="hint" id="request-code-hint">
            What <code>tessera-lm request-code</code> printed on the customer&apos;s License Manager. Line breaks and indentation do not
            matter.
          </p>
          <textarea
            id="request-code"
            className="key"
            rows={6}
            spellCheck={false}
            autoComplete="off"
            value={code}
            aria-describedby={check.error ? 'request-code-hint request-code-error' : 'request-code-hint'}
            aria-invalid={check.error ? true : undefined}
            onChange={(event) => {
              setCode(event.target.value);
              setPreview(null);
            }}
          />
        </div>
        <ErrorNotice message={check.error} id="request-code-error" />
        <div>
          <button type="submit" disabled={check.busy || code.trim() === ''}>
            Preview
          </button>
        </div>
      </form>
      {preview ? <Issue code={code} preview={preview} issued={issued} onIssued={setIssued} /> : null}
    </section>
  );
}

function Issue({
  code,
  preview,
  issued,
  onIssued,
}: {
  code: string;
  preview: RequestCodePreview;
  issued: { license: LicenseView; offlineKey: string } | null;
  onIssued(done: { license: LicenseView; offlineKey: string }): void;
}) {
  const catalogue = useCatalogue(null, preview.product);
  const product = catalogue.product;
  const [counts, setCounts] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(preview.nodes).map(([role, n]) => [role, String(n)])),
  );
  const [countsError, setCountsError] = useState<string | null>(null);
  const [months, setMonths] = useState(String(preview.months));
  const [monthsError, setMonthsError] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const roles = product ? [...new Set([...product.roles, ...Object.keys(preview.nodes)])] : Object.keys(preview.nodes);
  // A key can also be new content for one of the customer's licenses of the product: unbound, or bound to this LMID.
  const customerId = catalogue.customerId;
  const owned = useLoad(
    () =>
      customerId
        ? api<LicenseCardPage>('GET', `${staffPath.customer(customerId)}/licenses?limit=200`)
        : Promise.resolve<LicenseCardPage>({ items: [], nextCursor: null }),
    customerId,
  );
  const replaceable = (owned.data?.items ?? []).filter(
    (card) => card.product.slug === product?.slug && (card.lmid === null || card.lmid === preview.lmid),
  );
  const [chosenLicense, setChosenLicense] = useState('');
  const licenseId = replaceable.some((card) => card.id === chosenLicense) ? chosenLicense : '';

  const issue = async (event: FormEvent) => {
    event.preventDefault();
    setCountsError(null);
    setMonthsError(null);
    if (!product || !catalogue.customerId) return;
    const nodes = countsFrom(Object.fromEntries(roles.map((role) => [role, counts[role] ?? ''])));
    if (!nodes.ok) return setCountsError(nodes.message);
    if (!/^\d+$/.test(months.trim())) return setMonthsError('The months must be a whole number from 1 to 120.');
    const answer = await run(() =>
      api<{ license: LicenseView; offlineKey: string }>('POST', '/v1/staff/request-codes/issue', {
        requestCode: code,
        customerId: catalogue.customerId,
        productId: product.id,
        ...(licenseId ? { licenseId } : {}),
        adjust: { nodes: nodes.value, months: Number(months.trim()) },
      }),
    );
    if (answer.ok) {
      onIssued(answer.value);
      owned.reload();
    }
  };

  return (
    <>
      <section className="panel" aria-labelledby="code-asks">
        <h2 id="code-asks">What the code asks for</h2>
        <dl className="facts">
          <dt>LMID</dt>
          <dd>
            <span className="mono">{preview.lmid}</span> <span className="ok-text">✓ verified: the License Manager signed this code</span>
          </dd>
          <dt>Contact</dt>
          <dd>
            {preview.contact.name} · {preview.contact.email}
            {preview.contact.phone ? ` · ${preview.contact.phone}` : ''}
          </dd>
          <dt>Host</dt>
          <dd>
            {preview.host.hostname} ({preview.host.os}), License Manager {preview.host.lmVersion}
          </dd>
          <dt>Product</dt>
          <dd>{preview.product ?? 'not named'}</dd>
          <dt>Nodes</dt>
          <dd>{nodesText(preview.nodes)}</dd>
          <dt>Months</dt>
          <dd>{preview.months}</dd>
          <dt>Made</dt>
          <dd>{preview.createdAt}</dd>
        </dl>
      </section>
      <form noValidate className="form step" onSubmit={issue} aria-labelledby="issue-key">
        <h2 id="issue-key">Issue the offline key</h2>
        <ProductAndCustomer catalogue={catalogue} />
        <div className="field">
          <label htmlFor="issue-license">License</label>
          <select id="issue-license" value={licenseId} onChange={(event) => setChosenLicense(event.target.value)}>
            <option value="">A new license</option>
            {replaceable.map((card) => (
              <option key={card.id} value={card.id}>
                New content for {card.id} ({card.lmid ?? 'not bound'}; {nodesText(card.nodes)})
              </option>
            ))}
          </select>
          <ErrorNotice message={owned.error} />
        </div>
        <RoleCounts
          legend="Nodes per role (as asked; change to adjust)"
          roles={roles}
          values={counts}
          onValues={setCounts}
          error={countsError}
        />
        <Field
          label="Months"
          inputMode="numeric"
          value={months}
          onValue={setMonths}
          error={monthsError}
          hint="From today; 1 to 120."
          required
        />
        <ErrorNotice message={error} />
        <div>
          <button type="submit" disabled={busy || !product || !catalogue.customerId}>
            Issue key
          </button>
        </div>
      </form>
      {issued ? <IssuedKey key={`${issued.license.id}-${issued.license.serial}`} issued={issued} /> : null}
    </>
  );
}

function IssuedKey({ issued }: { issued: { license: LicenseView; offlineKey: string } }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () =>
    setCopied(
      (await copyText(issued.offlineKey))
        ? 'The offline key is copied to the clipboard.'
        : 'The browser did not allow copying: select the key and press Ctrl+C (⌘C on a Mac).',
    );
  return (
    <section className="panel" aria-labelledby="issued-key">
      <h2 id="issued-key">The offline key</h2>
      <p>
        Issued for <span className="mono">{issued.license.lmid}</span>: {nodesText(issued.license.nodes)}.{' '}
        <Link to={`/staff/licenses/${issued.license.id}`}>Open the license {issued.license.id}</Link>
      </p>
      <textarea className="key" readOnly spellCheck={false} rows={6} aria-label="The offline key" value={issued.offlineKey} />
      <div className="actions">
        <button type="button" onClick={() => void copy()}>
          Copy offline key
        </button>
      </div>
      <SuccessNotice message={copied} />
      <p className="hint">Send it to the customer, who loads it with tessera-lm load --key -.</p>
    </section>
  );
}
