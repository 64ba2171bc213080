/** Shell commands to copy, exactly as docs/license-manager.md gives them. Focusable, as a long line scrolls. */
import { useState } from 'react';
import { copyText } from '../clipboard';

export { LM_CONFIG } from '../lm-packages';

export function Commands({ lines }: { lines: string[] }) {
  const [copied, setCopied] = useState<string | null>(null);
  const text = lines.join('\n');
  const copy = async () =>
    setCopied((await copyText(text)) ? 'Copied.' : 'The browser did not allow copying; select the commands and copy them by hand.');
  return (
    <div className="commands-box">
      <pre className="commands" tabIndex={0}>
        <code>{text}</code>
      </pre>
      <div className="commands-copy">
        <button type="button" className="secondary small-button" onClick={() => void copy()}>
          Copy {lines.length === 1 ? 'command' : 'commands'}
        </button>
        <span role="status" className="hint">
          {copied}
        </span>
      </div>
    </div>
  );
}
