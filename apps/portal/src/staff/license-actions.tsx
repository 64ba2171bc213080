/**
 * What staff do to a license, each in its own form that opens from a button: RENEW (1 month or 1 year), EXPAND
 * (nodes per role), SUSPEND / RESUME with a reason, the outage grace (the product's default or the license's own),
 * REBIND to another LMID with a reason (its check character verified as typed), and the online/offline mode. A refusal shows in the form, in the API's words, and keeps
 * what was typed; success reloads the license and says what changed.
 */
import { useId, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { api } from '../api';
import type { LicenseDetails, Mode } from '../api';
import { useAction } from '../components/action';
import { Field } from '../components/fields';
import { graceHoursFrom, graceSourceText, OUTAGE_GRACE_HINT, outageGraceText } from '../components/outage-grace';
import { ErrorNotice } from '../components/page';
import { day, nodesText } from '../format';
import { checkLmid, finalLmidProblem } from '../lmid';
import { countsFrom, staffPath } from './api';
import type { LicenseView } from './api';
import { RoleCounts } from './kit';

type Changed = (message: string) => Promise<void>;

const REASON_NEEDED = 'Give a reason: it is kept in the license’s history and the audit log.';

/** A button that opens its form below it; the form stays mounted while open, so nothing typed is lost. */
export function Disclosure({ label, children, className }: { label: string; children: ReactNode; className?: string }) {
  const [open, setOpen] = useState(false);
  const panel = useId();
  return (
    <div className={`disclosure${className ? ` ${className}` : ''}`}>
      <button type="button" className="secondary" aria-expanded={open} aria-controls={panel} onClick={() => setOpen(!open)}>
        {label}
      </button>
      <div id={panel} hidden={!open} className="disclosure-panel">
        {open ? children : null}
      </div>
    </div>
  );
}

/** One action's form: its submit button, and its refusal next to it. */
function ActionForm({
  onSubmit,
  busy,
  error,
  submit,
  children,
}: {
  onSubmit(): void;
  busy: boolean;
  error: string | null;
  submit: string;
  children: ReactNode;
}) {
  const send = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <form noValidate className="form action-form" onSubmit={send}>
      {children}
      <ErrorNotice message={error} />
      <div>
        <button type="submit" disabled={busy}>
          {submit}
        </button>
      </div>
    </form>
  );
}

export function RenewForm({ license, onChanged }: { license: LicenseDetails; onChanged: Changed }) {
  const [months, setMonths] = useState<1 | 12>(12);
  const { busy, error, run } = useAction();
  const name = useId();
  const renew = async () => {
    const done = await run(() => api<LicenseView>('POST', `${staffPath.license(license.basic.id)}/renew`, { months }));
    if (done.ok) await onChanged(`Renewed: the license now expires on ${day(done.value.expiresAt)} (serial ${done.value.serial}).`);
  };
  return (
    <ActionForm onSubmit={() => void renew()} busy={busy} error={error} submit={`Renew for ${months === 12 ? '1 year' : '1 month'}`}>
      <fieldset className="choice">
        <legend>Extend from the current expiry ({day(license.basic.expiresAt)}) by</legend>
        <label className="option-inline">
          <input type="radio" name={name} checked={months === 1} onChange={() => setMonths(1)} /> 1 month
        </label>
        <label className="option-inline">
          <input type="radio" name={name} checked={months === 12} onChange={() => setMonths(12)} /> 1 year
        </label>
      </fieldset>
    </ActionForm>
  );
}

export function ExpandForm({ license, onChanged }: { license: LicenseDetails; onChanged: Changed }) {
  const roles = Object.keys(license.resources.nodes);
  const [values, setValues] = useState<Record<string, string>>({});
  const [countsError, setCountsError] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const expand = async () => {
    setCountsError(null);
    const counts = countsFrom(Object.fromEntries(roles.map((role) => [role, values[role] ?? ''])));
    if (!counts.ok) return setCountsError(counts.message);
    // Only the roles that grow: the License Center refuses an expansion naming a role with 0.
    const nodes = Object.fromEntries(Object.entries(counts.value).filter(([, n]) => n > 0));
    if (Object.keys(nodes).length === 0) return setCountsError('Enter how many nodes to add to one role at least.');
    const done = await run(() => api<LicenseView>('POST', `${staffPath.license(license.basic.id)}/expand`, { nodes }));
    if (done.ok) {
      setValues({});
      await onChanged(`Nodes added: the license now has ${nodesText(done.value.nodes)} (serial ${done.value.serial}).`);
    }
  };
  return (
    <ActionForm onSubmit={() => void expand()} busy={busy} error={error} submit="Add nodes">
      <RoleCounts
        legend={`Nodes to add (now ${nodesText(license.resources.nodes)})`}
        roles={roles}
        values={values}
        onValues={setValues}
        error={countsError}
      />
    </ActionForm>
  );
}

export function StatusForm({ license, onChanged }: { license: LicenseDetails; onChanged: Changed }) {
  const suspended = license.basic.status === 'suspended';
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction();
  const [reasonError, setReasonError] = useState<string | null>(null);
  const change = async () => {
    setReasonError(null);
    if (reason.trim() === '') return setReasonError(REASON_NEEDED);
    const action = suspended ? 'resume' : 'suspend';
    const done = await run(() => api<LicenseView>('POST', `${staffPath.license(license.basic.id)}/${action}`, { reason }));
    if (done.ok) {
      setReason('');
      await onChanged(
        suspended ? 'The license is resumed.' : 'The license is suspended: its online key stops syncing and no key is handed out.',
      );
    }
  };
  return (
    <ActionForm onSubmit={() => void change()} busy={busy} error={error} submit={suspended ? 'Resume the license' : 'Suspend the license'}>
      <Field
        label={suspended ? 'Reason for resuming' : 'Reason for suspending'}
        value={reason}
        onValue={setReason}
        hint="Kept in the license's history and the audit log."
        error={reasonError}
        maxLength={500}
        required
      />
    </ActionForm>
  );
}

/** The license's own outage grace, or its product's default: the license is signed again with it. */
export function OutageGraceForm({ license, onChanged }: { license: LicenseDetails; onChanged: Changed }) {
  const { outageGraceHours, outageGraceOverride } = license.resources;
  const [follow, setFollow] = useState(outageGraceOverride === null);
  const [hours, setHours] = useState(String(outageGraceOverride ?? outageGraceHours));
  const [hoursError, setHoursError] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const name = useId();
  const save = async () => {
    setHoursError(null);
    const parsed = follow ? null : graceHoursFrom(hours);
    if (parsed && !parsed.ok) return setHoursError(parsed.message);
    const outageGraceHours = parsed ? parsed.value : null;
    const done = await run(() => api<LicenseView>('PUT', `${staffPath.license(license.basic.id)}/outage-grace`, { outageGraceHours }));
    if (done.ok) {
      const { outageGraceHours: now, outageGraceOverride: own, serial } = done.value;
      await onChanged(`Outage grace: ${outageGraceText(now)}, ${graceSourceText(own)} (serial ${serial}).`);
    }
  };
  return (
    <ActionForm onSubmit={() => void save()} busy={busy} error={error} submit="Save the outage grace">
      <fieldset className="choice">
        <legend>
          Outage grace (now {outageGraceText(outageGraceHours)}, {graceSourceText(outageGraceOverride)})
        </legend>
        <label className="option-inline">
          <input type="radio" name={name} checked={follow} onChange={() => setFollow(true)} /> The product&apos;s default
        </label>
        <label className="option-inline">
          <input type="radio" name={name} checked={!follow} onChange={() => setFollow(false)} /> This license&apos;s own
        </label>
      </fieldset>
      {follow ? null : (
        <Field
          label="Outage grace (hours)"
          value={hours}
          onValue={setHours}
          inputMode="numeric"
          autoComplete="off"
          hint={OUTAGE_GRACE_HINT}
          error={hoursError}
        />
      )}
    </ActionForm>
  );
}

export function RebindForm({ license, onChanged }: { license: LicenseDetails; onChanged: Changed }) {
  const [lmidText, setLmidText] = useState('');
  const [reason, setReason] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const { busy, error, run } = useAction();
  const check = checkLmid(lmidText);
  const lmidError = check.state === 'invalid' ? check.message : submitted ? finalLmidProblem(check) : null;
  const status = check.state === 'valid' ? <span className="ok">✓ {check.message}</span> : check.state === 'partial' ? check.message : null;
  const [reasonError, setReasonError] = useState<string | null>(null);
  const rebind = async () => {
    setSubmitted(true);
    setReasonError(reason.trim() === '' ? REASON_NEEDED : null);
    if (check.state !== 'valid' || reason.trim() === '') return;
    const done = await run(() => api<LicenseView>('POST', `${staffPath.license(license.basic.id)}/rebind`, { lmid: check.lmid, reason }));
    if (done.ok) {
      setLmidText('');
      setReason('');
      setSubmitted(false);
      await onChanged(`The license is moved to ${done.value.lmid} (serial ${done.value.serial}).`);
    }
  };
  return (
    <ActionForm onSubmit={() => void rebind()} busy={busy} error={error} submit="Move the license">
      <p className="hint">
        Now bound to <span className="mono">{license.basic.lmid}</span>. The number of moves per year is limited.
      </p>
      <Field
        label="New LMID"
        className="lmid-field"
        value={lmidText}
        onValue={(text) => {
          setSubmitted(false);
          setLmidText(text);
        }}
        autoComplete="off"
        spellCheck={false}
        placeholder="XXXX-XXXX-XXXX-XXXX"
        hint='As "tessera-lm info" on the new host shows it; the last character is a check.'
        status={status}
        error={lmidError}
      />
      <Field
        label="Reason for moving"
        value={reason}
        onValue={setReason}
        hint="For example: the host was replaced."
        error={reasonError}
        maxLength={500}
        required
      />
    </ActionForm>
  );
}

export function ModeForm({ license, onChanged }: { license: LicenseDetails; onChanged: Changed }) {
  const [mode, setMode] = useState<Mode>(license.key.mode === 'online' ? 'offline' : 'online');
  const { busy, error, run } = useAction();
  const name = useId();
  const save = async () => {
    const done = await run(() => api<LicenseView>('PUT', `${staffPath.license(license.basic.id)}/mode`, { mode }));
    if (done.ok) await onChanged(`The license is in ${done.value.mode} mode (serial ${done.value.serial}).`);
  };
  return (
    <ActionForm onSubmit={() => void save()} busy={busy || mode === license.key.mode} error={error} submit={`Switch to ${mode}`}>
      <fieldset className="choice">
        <legend>Mode (now {license.key.mode})</legend>
        <label className="option-inline">
          <input type="radio" name={name} checked={mode === 'online'} onChange={() => setMode('online')} /> Online
        </label>
        <label className="option-inline">
          <input type="radio" name={name} checked={mode === 'offline'} onChange={() => setMode('offline')} /> Offline
        </label>
      </fieldset>
    </ActionForm>
  );
}
