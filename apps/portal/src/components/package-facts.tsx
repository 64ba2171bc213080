/**
 * One installation package as staff and customers see it: version, platform, file name, size and the full sha256
 * (wrapped rather than cut, selectable, with a copy button), and how to check a downloaded file against it.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { PackageView } from '../api';
import { copyText } from '../clipboard';
import { sizeText } from '../format';

export function PackageFacts({ item, children }: { item: PackageView; children?: ReactNode }) {
  return (
    <dl className="facts package-facts">
      <dt>File</dt>
      <dd className="mono">{item.filename}</dd>
      <dt>Size</dt>
      <dd>{sizeText(item.size)}</dd>
      <dt>sha256</dt>
      <dd>
        <Sha256 item={item} />
      </dd>
      {children}
    </dl>
  );
}

/** "1.4.0 · linux-x64": how a package is named in headings and buttons. */
export const packageTitle = (item: PackageView) => `${item.version} · ${item.platform}`;

function Sha256({ item }: { item: PackageView }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () =>
    setCopied((await copyText(item.sha256)) ? 'Copied.' : 'The browser did not allow copying; select the checksum and copy it by hand.');
  return (
    <div className="sha256-box">
      <code className="sha256">{item.sha256}</code>
      <div className="commands-copy">
        <button type="button" className="secondary small-button" aria-label={`Copy sha256 of ${item.filename}`} onClick={() => void copy()}>
          Copy sha256
        </button>
        <span role="status" className="hint">
          {copied}
        </span>
      </div>
    </div>
  );
}

/** How to compare a downloaded file with the sha256 shown, on each kind of system. */
export function ChecksumHint() {
  return (
    <p className="hint">
      To check a downloaded file, compare the sha256 shown with what <code>sha256sum &lt;file&gt;</code> prints (on macOS{' '}
      <code>shasum -a 256 &lt;file&gt;</code>, in Windows PowerShell <code>Get-FileHash &lt;file&gt;</code>). If they differ, do not install
      the file: download it again.
    </p>
  );
}
