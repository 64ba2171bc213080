/**
 * The quick-bind wizard for an unbound license: check the license → install the License Manager (the packages this
 * License Center serves, with their commands) and read its LMID → enter the LMID (check character verified as it is typed) → online or offline → BIND → the key.
 * Everything typed stays in this component while the person moves between steps or meets an error.
 */
import { createContext, useContext, useEffect, useRef, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { api, licensePath, messageOf } from '../api';
import type { LicenseDetails, Mode } from '../api';
import { Field } from '../components/fields';
import { KeyBox } from '../components/key-box';
import { LmInstall } from '../components/lm-install';
import { ModeChoice, StatusBadge } from '../components/license-bits';
import { ErrorNotice, Loading, PageTitle, SuccessNotice } from '../components/page';
import { day, fromNow, modeLabel, nodesText } from '../format';
import { checkLmid, finalLmidProblem } from '../lmid';
import { Link } from '../router';

const STEPS = ['Check the license', 'Install the License Manager', 'Enter the LMID', 'Online or offline', 'Copy the key'] as const;
/** Whether the person has moved between steps: from then on each new step takes the focus. */
const MovedContext = createContext(false);

export function BindWizardPage({ licenseId }: { licenseId: string }) {
  const [license, setLicense] = useState<LicenseDetails | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [step, setStep] = useState(0);
  const [moved, setMoved] = useState(false);
  const [lmidText, setLmidText] = useState('');
  const [mode, setMode] = useState<Mode | null>(null);
  const [boundLmid, setBoundLmid] = useState<string | null>(null);
  const [done, setDone] = useState<{ lmid: string; mode: Mode } | null>(null);
  const go = (next: number) => {
    setMoved(true);
    setStep(next);
  };

  useEffect(() => {
    let current = true;
    api<LicenseDetails>('GET', licensePath(licenseId)).then(
      (details) => {
        if (!current) return;
        setLicense(details);
        setMode((chosen) => chosen ?? details.key.mode);
      },
      (failure: unknown) => current && setLoadError(messageOf(failure)),
    );
    return () => {
      current = false;
    };
  }, [licenseId]);

  const title = license ? `Bind ${license.resources.product.name}` : 'Bind a License Manager';
  return (
    <section>
      <PageTitle title={title} />
      <p>
        <Link to={`/licenses/${licenseId}`}>License {licenseId}</Link>
      </p>
      <ol className="steps" aria-label="Steps">
        {STEPS.map((name, index) => (
          <li key={name} aria-current={index === step ? 'step' : undefined} className={index < step ? 'done' : undefined}>
            <span className="step-number" aria-hidden="true">
              {index + 1}
            </span>{' '}
            {name}
          </li>
        ))}
      </ol>
      <ErrorNotice message={loadError} />
      {!license && !loadError ? <Loading what="the license" /> : null}
      {license ? (
        <MovedContext.Provider value={moved}>
          {step === 0 ? <CheckStep license={license} onNext={() => go(1)} /> : null}
          {step === 1 ? <InstallStep onBack={() => go(0)} onNext={() => go(2)} /> : null}
          {step === 2 ? <LmidStep value={lmidText} onValue={setLmidText} onBack={() => go(1)} onNext={() => go(3)} /> : null}
          {step === 3 ? (
            <BindStep
              licenseId={licenseId}
              lmidText={lmidText}
              mode={mode ?? license.key.mode}
              currentMode={license.key.mode}
              boundLmid={boundLmid}
              onMode={setMode}
              onBoundLmid={setBoundLmid}
              onDone={(finished) => {
                setDone(finished);
                go(4);
              }}
              onChangeLmid={() => go(2)}
            />
          ) : null}
          {step === 4 && done ? <KeyStep licenseId={licenseId} bound={done} /> : null}
        </MovedContext.Provider>
      ) : null}
    </section>
  );
}

/** One step: its heading takes the focus when it appears, so keyboard and screen-reader users start there. */
function Step({ number, children, className }: { number: number; children: ReactNode; className?: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const moved = useContext(MovedContext);
  useEffect(() => {
    if (moved) heading.current?.focus();
  }, [moved]);
  return (
    <div className={`step${className ? ` ${className}` : ''}`} data-step={number + 1}>
      <h2 ref={heading} tabIndex={-1}>
        Step {number + 1} of {STEPS.length}: {STEPS[number]}
      </h2>
      {children}
    </div>
  );
}

function CheckStep({ license, onNext }: { license: LicenseDetails; onNext(): void }) {
  const { basic, resources } = license;
  return (
    <Step number={0}>
      <dl className="facts">
        <dt>Product</dt>
        <dd>{resources.product.name}</dd>
        <dt>Nodes</dt>
        <dd>{nodesText(resources.nodes)}</dd>
        <dt>Valid</dt>
        <dd>
          {day(basic.startsAt)} to {day(basic.expiresAt)} ({fromNow(basic.expiresAt)})
        </dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={basic.status} />
        </dd>
      </dl>
      {basic.lmid ? (
        <>
          <p className="notice notice-info">
            This license is bound to the License Manager <span className="mono">{basic.lmid}</span> already. A license is bound once; to
            move it to another License Manager, ask your vendor.
          </p>
          <Link className="button" to={`/licenses/${basic.id}`}>
            See the license and its key
          </Link>
        </>
      ) : (
        <>
          <p>This license is not bound yet. Bind it to the License Manager that will run next to {resources.product.name}.</p>
          <div className="actions">
            <button type="button" onClick={onNext}>
              Next: install the License Manager
            </button>
          </div>
        </>
      )}
    </Step>
  );
}

function InstallStep({ onBack, onNext }: { onBack(): void; onNext(): void }) {
  return (
    <Step number={1}>
      <p>
        Install the License Manager on a machine next to the product (one per cluster), give it the vendor&apos;s trust bundle and a
        configuration, start it, and read its LMID:
      </p>
      <LmInstall />
      <p>
        <code>info</code> shows the <strong>LMID</strong> first, four groups of four characters like{' '}
        <span className="mono">QPDH-7K2M-W8RT-0C4X</span>. The trust bundle can also be{' '}
        <a href="/v1/trust-bundle" download="trust-bundle.json">
          downloaded here
        </a>
        . Every configuration key is described in the License Manager guide (lm-config.md).
      </p>
      <div className="actions">
        <button type="button" className="secondary" onClick={onBack}>
          Back
        </button>
        <button type="button" onClick={onNext}>
          Next: enter the LMID
        </button>
      </div>
    </Step>
  );
}

function LmidStep({ value, onValue, onBack, onNext }: { value: string; onValue(v: string): void; onBack(): void; onNext(): void }) {
  const input = useRef<HTMLInputElement>(null);
  const [submitted, setSubmitted] = useState(false);
  const check = checkLmid(value);
  // While typing, only a character that cannot be right or a full LMID with a bad check is an error.
  const error = check.state === 'invalid' ? check.message : submitted ? finalLmidProblem(check) : null;
  const status = check.state === 'valid' ? <span className="ok">✓ {check.message}</span> : check.state === 'partial' ? check.message : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (check.state === 'valid') onNext();
    else input.current?.focus();
  };

  return (
    <Step number={2}>
      <form onSubmit={submit} className="form" noValidate>
        <Field
          label="LMID"
          className="lmid-field"
          inputRef={input}
          value={value}
          onValue={(text) => {
            setSubmitted(false);
            onValue(text);
          }}
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          placeholder="XXXX-XXXX-XXXX-XXXX"
          hint={`As "tessera-lm info" shows it. Letter case, spaces and dashes do not matter; the last character is a check.`}
          status={status}
          error={error}
        />
        <div className="actions">
          <button type="button" className="secondary" onClick={onBack}>
            Back
          </button>
          <button type="submit">Next: online or offline</button>
        </div>
      </form>
    </Step>
  );
}

interface BindStepProps {
  licenseId: string;
  lmidText: string;
  mode: Mode;
  currentMode: Mode;
  /** Bound in this visit already (a mode change failed after it): only the mode is left to do. */
  boundLmid: string | null;
  onMode(mode: Mode): void;
  onBoundLmid(lmid: string): void;
  onDone(done: { lmid: string; mode: Mode }): void;
  onChangeLmid(): void;
}

function BindStep({ licenseId, lmidText, mode, currentMode, boundLmid, onMode, onBoundLmid, onDone, onChangeLmid }: BindStepProps) {
  const check = checkLmid(lmidText);
  const lmid = boundLmid ?? (check.state === 'valid' ? check.lmid : lmidText);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; aboutLmid: boolean } | null>(null);

  const bind = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (!boundLmid) {
        try {
          await api('POST', `${licensePath(licenseId)}/bind`, { lmid });
        } catch (failure) {
          setError({ message: messageOf(failure), aboutLmid: true });
          return;
        }
        onBoundLmid(lmid);
      }
      if (mode !== currentMode) {
        try {
          await api('PUT', `${licensePath(licenseId)}/mode`, { mode });
        } catch (failure) {
          setError({
            message: `The license is bound to ${lmid}, but its mode is still ${currentMode}: ${messageOf(failure)}`,
            aboutLmid: false,
          });
          return;
        }
      }
      onDone({ lmid, mode });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Step number={3}>
      <form onSubmit={bind} className="form">
        <p>
          License Manager: <span className="mono">{lmid}</span>{' '}
          {boundLmid ? null : (
            <button type="button" className="link" onClick={onChangeLmid}>
              Change the LMID
            </button>
          )}
        </p>
        <ModeChoice legend="How will the License Manager get its license?" value={mode} onChange={onMode} />
        <p className="hint">
          A license is bound to one License Manager, once; only your vendor can move it to another one later. You can switch between online
          and offline at any time.
        </p>
        {boundLmid ? <SuccessNotice message={`Bound to ${boundLmid}.`} /> : null}
        <ErrorNotice message={error?.message ?? null} />
        {error?.aboutLmid ? (
          <p>
            <button type="button" className="link" onClick={onChangeLmid}>
              Correct the LMID
            </button>
          </p>
        ) : null}
        <div className="actions">
          {boundLmid ? null : (
            <button type="button" className="secondary" onClick={onChangeLmid}>
              Back
            </button>
          )}
          <button type="submit" disabled={busy}>
            {boundLmid ? `Set ${modeLabel(mode).toLowerCase()} mode` : 'Bind'}
          </button>
        </div>
      </form>
    </Step>
  );
}

function KeyStep({ licenseId, bound }: { licenseId: string; bound: { lmid: string; mode: Mode } }) {
  return (
    <Step number={4}>
      <SuccessNotice message={`The license is bound to ${bound.lmid}, in ${bound.mode} mode.`} />
      <p>
        {bound.mode === 'online'
          ? 'Copy the online key and load it into the License Manager; it then fetches the license from this License Center and keeps it in sync.'
          : 'Copy the offline key (the signed license for this License Manager) and load it.'}
      </p>
      <KeyBox licenseId={licenseId} mode={bound.mode} />
      <p>
        <Link to={`/licenses/${licenseId}`}>See the license details</Link> · <Link to="/">Back to the licenses</Link>
      </p>
    </Step>
  );
}
