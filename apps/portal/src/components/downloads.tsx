/**
 * Downloads on a license's page: the installation packages of its product with size and sha256, and the License
 * Manager's (every customer's, whatever the license's state). Download asks the License Center for a signed link
 * that expires in minutes and opens it, so the browser saves the file; the link is used at once and kept nowhere. A
 * license that may not download its product's packages (suspended, ended) shows why instead.
 */
import { useEffect, useState } from 'react';
import { api, licensePath, messageOf } from '../api';
import type { DownloadLink, LicensePackages, LmPackages, PackageView } from '../api';
import { ChecksumHint, PackageFacts, packageTitle } from './package-facts';
import { ErrorNotice, Loading } from './page';

export function DownloadsSection({ licenseId }: { licenseId: string }) {
  const [answer, setAnswer] = useState<LicensePackages | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    api<LicensePackages>('GET', `${licensePath(licenseId)}/packages`).then(
      (found) => current && setAnswer(found),
      (failure: unknown) => current && setError(messageOf(failure)),
    );
    return () => {
      current = false;
    };
  }, [licenseId]);

  return (
    <section className="panel downloads" aria-labelledby="downloads">
      <h2 id="downloads">Downloads</h2>
      <ErrorNotice message={error} />
      {!answer && !error ? <Loading what="the packages" /> : null}
      {answer && answer.items.length === 0 ? <p className="empty">There are no installation packages for this product yet.</p> : null}
      {answer && !answer.downloadable ? (
        <p className="notice notice-info">{answer.reason?.message ?? 'This license cannot download packages now.'}</p>
      ) : null}
      {answer && answer.items.length > 0 ? (
        <ul className="package-list" aria-label="Installation packages">
          {answer.items.map((item) => (
            <li key={item.id}>
              <h3>{packageTitle(item)}</h3>
              <PackageFacts item={item} />
              {answer.downloadable ? (
                <DownloadButton item={item} linkPath={`${licensePath(licenseId)}/packages/${encodeURIComponent(item.id)}/link`} />
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      <LmDownloads />
      <ChecksumHint />
    </section>
  );
}

/** The License Manager's packages: the bind wizard gives the commands to install them. */
function LmDownloads() {
  const [answer, setAnswer] = useState<LmPackages | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    api<LmPackages>('GET', '/v1/lm-packages').then(
      (found) => current && setAnswer(found),
      (failure: unknown) => current && setError(messageOf(failure)),
    );
    return () => {
      current = false;
    };
  }, []);
  if (!answer && !error) return null;
  return (
    <section aria-labelledby="lm-downloads">
      <h3 id="lm-downloads">The License Manager</h3>
      <ErrorNotice message={error} />
      {answer && answer.items.length === 0 ? <p className="empty">There are no License Manager packages yet.</p> : null}
      {answer && answer.items.length > 0 ? (
        <ul className="package-list" aria-label="License Manager packages">
          {answer.items.map((item) => (
            <li key={item.id}>
              <h4>{packageTitle(item)}</h4>
              <PackageFacts item={item} />
              <DownloadButton item={item} linkPath={`/v1/lm-packages/${encodeURIComponent(item.id)}/link`} />
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function DownloadButton({ item, linkPath }: { item: PackageView; linkPath: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState(false);
  const download = async () => {
    setBusy(true);
    setError(null);
    setStarted(false);
    try {
      const link = await api<DownloadLink>('POST', linkPath);
      // Opened on this License Center, the one the page came from, whatever address the link was written with
      // (TESSERA_PUBLIC_URL), so an answer can never send the browser elsewhere. The file answers as an
      // attachment: the browser saves it and this page stays.
      const target = new URL(link.url, location.origin);
      window.location.assign(`${target.pathname}${target.search}`);
      setStarted(true);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="download">
      <div className="commands-copy">
        <button type="button" disabled={busy} aria-label={`Download ${item.filename}`} onClick={() => void download()}>
          {busy ? 'Preparing…' : 'Download'}
        </button>
        <span role="status" className="hint">
          {started ? `The download of ${item.filename} has started.` : null}
        </span>
      </div>
      <ErrorNotice message={error} />
    </div>
  );
}
