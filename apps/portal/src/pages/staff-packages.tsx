/**
 * Installation packages (/staff/packages): per product, every package customers with an active license may
 * download, with its size and sha256; admins and sales upload a file (sent as the raw body), admins withdraw one.
 * The role only decides what is shown: the License Center decides, and its refusal is shown in its words.
 */
import { useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { api, sendFile } from '../api';
import type { Answer, PackageView } from '../api';
import { useAction } from '../components/action';
import { Field } from '../components/fields';
import { ChecksumHint, PackageFacts, packageTitle } from '../components/package-facts';
import { ErrorNotice, Loading, PageTitle, SuccessNotice } from '../components/page';
import { dayTime, packageFileName, sizeText } from '../format';
import { useUser } from '../session';
import { CAN } from '../staff/api';
import type { Product } from '../staff/api';
import { StaffNav, useLoad } from '../staff/kit';

const PACKAGES = '/v1/staff/packages';

export function PackagesPage() {
  const user = useUser();
  const products = useLoad(() => api<Answer<'getStaffProducts'>>('GET', '/v1/staff/products'), 'products');
  const packages = useLoad(() => api<Answer<'getStaffPackages'>>('GET', PACKAGES), 'packages');
  // The API names the uploader by user id; staff know each other by email.
  const staffUsers = useLoad(() => api<Answer<'getStaffUsers'>>('GET', '/v1/staff/users'), 'staff-users');
  const emails = new Map(staffUsers.data?.items.map((member) => [member.id, member.email]));
  const names = new Map(products.data?.items.map((product) => [product.slug, product.name]));
  // Every product with packages, in the catalogue's order, then any slug the catalogue no longer lists.
  const slugs = [...new Set([...(products.data?.items.map((p) => p.slug) ?? []), ...(packages.data?.items.map((p) => p.product) ?? [])])];
  const groups = slugs
    .map((slug) => ({ slug, items: packages.data?.items.filter((item) => item.product === slug) ?? [] }))
    .filter((group) => group.items.length > 0);

  return (
    <section>
      <PageTitle title="Packages" />
      <StaffNav />
      <p>
        Installation packages of each product. Customers with an active license of the product download them from their license’s page
        through a link that expires, and the purchase mail lists them.
      </p>
      {CAN.sell(user.role) && products.data ? <UploadForm products={products.data.items} onUploaded={packages.reload} /> : null}
      <ErrorNotice message={packages.error ?? products.error} />
      {!packages.data && !packages.error ? <Loading what="the packages" /> : null}
      {packages.data && groups.length === 0 ? <p className="empty">No packages yet.</p> : null}
      {groups.map((group) => (
        <section className="panel product-packages" key={group.slug} aria-labelledby={`packages-${group.slug}`}>
          <h2 id={`packages-${group.slug}`}>
            {names.get(group.slug) ?? group.slug} <span className="mono small muted">({group.slug})</span>
          </h2>
          <ul className="package-list" aria-label={`Packages of ${names.get(group.slug) ?? group.slug}`}>
            {group.items.map((item) => (
              <li key={item.id}>
                <h3>{packageTitle(item)}</h3>
                <PackageFacts item={item}>
                  <dt>Uploaded</dt>
                  <dd>
                    {dayTime(item.uploadedAt)}
                    {item.uploadedBy ? <span className="muted"> by {emails.get(item.uploadedBy) ?? item.uploadedBy}</span> : null}
                  </dd>
                </PackageFacts>
                {CAN.administer(user.role) ? <Withdraw item={item} onWithdrawn={packages.reload} /> : null}
              </li>
            ))}
          </ul>
        </section>
      ))}
      {groups.length > 0 ? <ChecksumHint /> : null}
    </section>
  );
}

function UploadForm({ products, onUploaded }: { products: Product[]; onUploaded(): void }) {
  const [product, setProduct] = useState(products[0]?.slug ?? '');
  const [version, setVersion] = useState('');
  const [platform, setPlatform] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const { busy, error, setError, run } = useAction();

  const upload = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    if (!file) return setError('Choose the file to upload.');
    const query = new URLSearchParams({
      product,
      version: version.trim(),
      platform: platform.trim(),
      filename: packageFileName(file.name),
    });
    const sent = await run(() => sendFile<Answer<'postStaffPackages'>>(`${PACKAGES}?${query.toString()}`, file));
    if (!sent.ok) return;
    const made = sent.value.package;
    setDone(`${made.filename} is uploaded as ${made.product} ${packageTitle(made)} (${sizeText(made.size)}); its sha256 is in the list.`);
    setVersion('');
    setFile(null);
    if (fileInput.current) fileInput.current.value = '';
    onUploaded();
  };

  if (products.length === 0) return <p className="empty">Define a product first: packages belong to a product.</p>;
  return (
    <form noValidate className="panel form" onSubmit={upload} aria-labelledby="upload-package" aria-busy={busy}>
      <h2 id="upload-package">Upload a package</h2>
      <div className="field">
        <label htmlFor="package-product">Product</label>
        <select id="package-product" value={product} onChange={(event) => setProduct(event.target.value)}>
          {products.map((item) => (
            <option key={item.slug} value={item.slug}>
              {item.name} ({item.slug})
            </option>
          ))}
        </select>
      </div>
      <Field label="Version" value={version} onValue={setVersion} autoComplete="off" hint="As customers know it, e.g. 1.4.0." />
      <Field label="Platform" value={platform} onValue={setPlatform} autoComplete="off" hint="e.g. linux-x64, linux-arm64, windows-x64." />
      <div className="field">
        <label htmlFor="package-file">File</label>
        <input
          id="package-file"
          ref={fileInput}
          type="file"
          disabled={busy}
          onChange={(event) => {
            setFile(event.target.files?.[0] ?? null);
            setDone(null);
          }}
        />
        {file ? (
          <div className="hint">
            {sizeText(file.size)}
            {packageFileName(file.name) !== file.name ? `; saved as ${packageFileName(file.name)}` : ''}
          </div>
        ) : null}
      </div>
      <ErrorNotice message={error} />
      <SuccessNotice message={done} />
      {busy && file ? (
        <p className="loading" role="status">
          Uploading {file.name} ({sizeText(file.size)})… Keep this page open until it is done.
        </p>
      ) : null}
      <div>
        <button type="submit" disabled={busy}>
          {busy ? 'Uploading…' : 'Upload package'}
        </button>
      </div>
    </form>
  );
}

/** Withdraw asks first: customers can no longer download the package once it is gone. */
function Withdraw({ item, onWithdrawn }: { item: PackageView; onWithdrawn(): void }) {
  const [asking, setAsking] = useState(false);
  const { busy, error, run } = useAction();
  const withdraw = async () => {
    const gone = await run(() => api('DELETE', `${PACKAGES}/${encodeURIComponent(item.id)}`));
    if (gone.ok) onWithdrawn();
  };
  return (
    <div className="actions compact">
      {asking ? (
        <div className="confirm" role="group" aria-label={`Withdraw ${item.filename}`}>
          <p>Withdraw {item.filename}? Customers can no longer download it.</p>
          <div className="actions compact">
            <button type="button" className="danger" disabled={busy} onClick={() => void withdraw()}>
              Withdraw the package
            </button>
            <button type="button" className="secondary" onClick={() => setAsking(false)}>
              Cancel
            </button>
          </div>
          <ErrorNotice message={error} />
        </div>
      ) : (
        <button type="button" className="secondary small-button" aria-label={`Withdraw ${item.filename}`} onClick={() => setAsking(true)}>
          Withdraw
        </button>
      )}
    </div>
  );
}
