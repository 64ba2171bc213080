/**
 * Request code → key (/staff/request-code): paste the code a License Manager printed (kept in this page's memory,
 * never in a URL), PREVIEW everything it asks for (the verified LMID, contact, host, product, nodes, limits,
 * features, months) with what the chosen product does not define flagged, then decide item by item what the key
 * holds (keep, change or strike each) and ISSUE → the offline key, with a copy button. The page sends exactly the
 * rows it shows as granted: a customer's code cannot slip a limit or feature past staff who read only the counts.
 */
import { Fragment, useId, useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api';
import type { LicenseCardPage } from '../api';
import { useAction } from '../components/action';
import { ErrorNotice, PageTitle, SuccessNotice } from '../components/page';
import { copyText } from '../clipboard';
import { day, nodesText } from '../format';
import { Link } from '../router';
import { staffPath } from '../staff/api';
import type { LicenseView, RequestCodePreview } from '../staff/api';
import { ProductAndCustomer, useCatalogue } from '../staff/choosers';
import { countsText, GrantTable, grantFieldsOf, grantFrom, grantText, monthsText } from '../staff/request-code-grant';
import type { Flag, GrantFields } from '../staff/request-code-grant';
import { StaffNav, useLoad } from '../staff/kit';

type Issued = { license: LicenseView & { limits: Record<string, number>; features: string[] }; offlineKey: string };
const PREVIEW = '/v1/staff/request-codes/preview';

export function RequestCodePage() {
  const [code, setCode] = useState('');
  const [preview, setPreview] = useState<RequestCodePreview | null>(null);
  const [issued, setIssued] = useState<Issued | null>(null);
  const check = useAction();

  const read = async (event: FormEvent) => {
    event.preventDefault();
    setPreview(null);
    setIssued(null);
    const answer = await check.run(() => api<RequestCodePreview>('POST', PREVIEW, { requestCode: code }));
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
  issued: Issued | null;
  onIssued(done: Issued): void;
}) {
  const catalogue = useCatalogue(null, preview.product);
  const product = catalogue.product;
  // The code checked against the product chosen: the first preview if it was checked against it, else asked again.
  const checked = useLoad(
    () =>
      !product || preview.checkedAgainst?.id === product.id
        ? Promise.resolve(preview)
        : api<RequestCodePreview>('POST', PREVIEW, { requestCode: code, productId: product.id }),
    product?.id ?? '',
  );
  const shown = checked.data && (!product || checked.data.checkedAgainst?.id === product.id) ? checked.data : null;
  const [fields, setFields] = useState<GrantFields>(() => grantFieldsOf(preview));
  const [invalid, setInvalid] = useState<{ field: string; message: string } | null>(null);
  const { busy, error, run } = useAction();
  const summaryId = useId();
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
  const read = product ? grantFrom(product, fields) : null;

  const issue = async (event: FormEvent) => {
    event.preventDefault();
    setInvalid(null);
    if (!product || !customerId || !read) return;
    if (!read.ok) return setInvalid(read);
    const answer = await run(() =>
      api<Issued>('POST', '/v1/staff/request-codes/issue', {
        requestCode: code,
        customerId,
        productId: product.id,
        ...(licenseId ? { licenseId } : {}),
        grant: read.grant,
      }),
    );
    if (answer.ok) {
      onIssued(answer.value);
      owned.reload();
    }
  };

  return (
    <>
      <Asked preview={preview} shown={shown} />
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
        <ErrorNotice message={checked.error} />
        {product && shown ? (
          <GrantTable
            preview={preview}
            product={product}
            flags={shown.flags}
            fields={fields}
            onFields={setFields}
            invalid={invalid?.field ?? null}
          />
        ) : (
          <p className="hint" role="status">
            {product ? `Checking the code against ${product.slug}…` : 'Choose the product to see what the key can hold.'}
          </p>
        )}
        <ErrorNotice message={invalid?.message ?? null} />
        {read?.ok ? (
          <p id={summaryId}>
            <strong>The key will hold:</strong> {grantText(read.grant)}.
          </p>
        ) : null}
        <ErrorNotice message={error} />
        <div>
          <button type="submit" disabled={busy || !product || !customerId || !shown} aria-describedby={read?.ok ? summaryId : undefined}>
            Issue key
          </button>
        </div>
      </form>
      {issued ? <IssuedKey key={`${issued.license.id}-${issued.license.serial}`} issued={issued} /> : null}
    </>
  );
}

/** Everything the code asks for, each ask the chosen product does not define marked, and why. */
function Asked({ preview, shown }: { preview: RequestCodePreview; shown: RequestCodePreview | null }) {
  const flags = shown?.flags ?? [];
  const flagged = (item: Flag['item'], name: string) => flags.some((flag) => flag.item === item && flag.name === name);
  // "query 3 · storage 5 · gpu 4 (not defined: not granted)", as the portal writes counts elsewhere.
  const list = (item: Flag['item'], entries: [string, string][]) =>
    entries.length
      ? entries.map(([name, text], index) => (
          <Fragment key={name}>
            {index > 0 ? ' · ' : null}
            {text}
            {flagged(item, name) ? <span className="flag"> (not defined: not granted)</span> : null}
          </Fragment>
        ))
      : 'none';
  return (
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
        <dd>
          {preview.product ?? 'not named'}
          {preview.product && flagged('product', preview.product) ? <span className="flag"> (not the chosen product)</span> : null}
        </dd>
        <dt>Nodes</dt>
        <dd>
          {list(
            'role',
            Object.entries(preview.nodes).map(([role, n]) => [role, `${role} ${n}`]),
          )}
        </dd>
        <dt>Limits</dt>
        <dd>
          {list(
            'limit',
            Object.entries(preview.limits).map(([limit, n]) => [limit, `${limit} ${n}`]),
          )}
        </dd>
        <dt>Features</dt>
        <dd>
          {list(
            'feature',
            preview.features.map((feature) => [feature, feature]),
          )}
        </dd>
        <dt>Months</dt>
        <dd>{monthsText(preview.months)}</dd>
        <dt>Made</dt>
        <dd>{preview.createdAt}</dd>
        <dt>Checked</dt>
        <dd>
          {!shown ? (
            'checking…'
          ) : !shown.checkedAgainst ? (
            'not yet: choose the product'
          ) : flags.length === 0 ? (
            `every ask is defined by ${shown.checkedAgainst.slug}`
          ) : (
            <ul className="flags" aria-label="Flagged asks">
              {flags.map((flag) => (
                <li key={`${flag.item} ${flag.name}`} className="flag">
                  {flag.message}
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
    </section>
  );
}

function IssuedKey({ issued }: { issued: Issued }) {
  const [copied, setCopied] = useState<string | null>(null);
  const { license } = issued;
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
        Issued for <span className="mono">{license.lmid}</span>: nodes {countsText(license.nodes)}; limits {countsText(license.limits)};
        features {license.features.join(', ') || 'none'}; until {day(license.expiresAt)}.{' '}
        <Link to={`/staff/licenses/${license.id}`}>Open the license {license.id}</Link>
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
