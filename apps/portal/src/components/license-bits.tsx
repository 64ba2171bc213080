/** Small pieces the license pages share: the status badge, the online/offline choice with its rule. */
import { useId } from 'react';
import type { LicenseState, Mode } from '../api';
import { STATE_LABEL } from '../format';

export function StatusBadge({ status }: { status: LicenseState }) {
  return <span className={`badge badge-${status}`}>{STATE_LABEL[status]}</span>;
}

/** Online if the License Manager can reach the License Center, offline if it cannot. */
export function ModeChoice({ value, onChange, legend }: { value: Mode | null; onChange(mode: Mode): void; legend: string }) {
  const name = useId();
  const origin = location.origin;
  return (
    <fieldset className="choice">
      <legend>{legend}</legend>
      <p className="hint">Choose online if the License Manager can reach this License Center; offline if it cannot.</p>
      <label className="option">
        <input type="radio" name={name} value="online" checked={value === 'online'} onChange={() => onChange('online')} />
        <span>
          <strong>Online</strong>: the License Manager can reach {origin}. It loads a short online key and keeps the license in sync by
          itself, so renewals and added nodes arrive without copying anything.
        </span>
      </label>
      <label className="option">
        <input type="radio" name={name} value="offline" checked={value === 'offline'} onChange={() => onChange('offline')} />
        <span>
          <strong>Offline</strong>: the License Manager cannot reach {origin} (an isolated network). It loads the signed license itself;
          after each change you copy the new key here and load it again.
        </span>
      </label>
    </fieldset>
  );
}
