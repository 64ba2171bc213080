/**
 * The license key, fetched only when the person asks to see or copy it (GET /v1/licenses/:id/key), held in this
 * component's memory and nowhere else: never in a URL, storage or the console.
 */
import { useRef, useState } from 'react';
import { api, licensePath, messageOf } from '../api';
import { copyText } from '../clipboard';
import type { LicenseKey, Mode } from '../api';
import { ErrorNotice, SuccessNotice } from './page';
import { Commands, LM_CONFIG } from './commands';

export function KeyBox({ licenseId, mode }: { licenseId: string; mode: Mode }) {
  const [key, setKey] = useState<LicenseKey | null>(null);
  const [shown, setShown] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const text = useRef<HTMLTextAreaElement>(null);

  const fetchKey = async (): Promise<LicenseKey | null> => {
    if (key) return key;
    setBusy(true);
    setError(null);
    try {
      const answer = await api<LicenseKey>('GET', `${licensePath(licenseId)}/key`);
      setKey(answer);
      return answer;
    } catch (failure) {
      setError(messageOf(failure));
      return null;
    } finally {
      setBusy(false);
    }
  };

  const show = async () => {
    if (shown) return setShown(false);
    if (await fetchKey()) setShown(true);
  };

  const copy = async () => {
    setCopied(null);
    const answer = await fetchKey();
    if (!answer) return;
    if (await copyText(answer.key)) return setCopied(`The ${answer.mode} key is copied to the clipboard.`);
    // No clipboard access (a page served over plain http from another host): show the key selected instead.
    setShown(true);
    requestAnimationFrame(() => text.current?.select());
    setCopied('The browser did not allow copying: the key is shown and selected; press Ctrl+C (⌘C on a Mac) to copy it.');
  };

  const kind = mode === 'online' ? 'online key' : 'offline key';
  return (
    <div className="key-box">
      <div className="actions">
        <button type="button" onClick={copy} disabled={busy}>
          Copy {kind}
        </button>
        <button type="button" className="secondary" onClick={show} disabled={busy} aria-expanded={shown}>
          {shown ? `Hide ${kind}` : `Show ${kind}`}
        </button>
      </div>
      <ErrorNotice message={error} />
      <SuccessNotice message={copied} />
      {shown && key ? (
        <textarea
          ref={text}
          className={`key key-${key.mode}`}
          readOnly
          spellCheck={false}
          aria-label={`The ${key.mode} key`}
          rows={key.mode === 'online' ? 1 : 6}
          value={key.key}
        />
      ) : null}
      <p className="hint">Load it into the License Manager: run this, paste the key, then press Ctrl-D.</p>
      <Commands lines={[`tessera-lm --config ${LM_CONFIG} load --key -`]} />
      {mode === 'online' ? (
        <p className="hint">
          An online License Manager needs this License Center&apos;s address in its configuration (<code>center: url:</code>{' '}
          <code>{location.origin}</code>); it syncs the license from then on.
        </p>
      ) : (
        <p className="hint">An offline key is the signed license for this LMID only; copy it again after each change to the license.</p>
      )}
    </div>
  );
}
