/** Labelled form fields whose hint and error are tied to the input (aria-describedby), so both are read out with it. */
import { useId } from 'react';
import type { InputHTMLAttributes, ReactNode, Ref } from 'react';
import { passwordRule } from '../password-rule';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value' | 'id'>;

interface FieldProps extends InputProps {
  label: string;
  value: string;
  onValue(value: string): void;
  hint?: ReactNode;
  error?: string | null;
  /** Shown under the input instead of the hint, for live feedback such as the LMID check. */
  status?: ReactNode;
  inputRef?: Ref<HTMLInputElement>;
}

export function Field({ label, value, onValue, hint, error, status, inputRef, className, ...input }: FieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : null, status ? `${id}-status` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <div className="hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      <input
        id={id}
        ref={inputRef}
        value={value}
        onChange={(event) => onValue(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={described || undefined}
        {...input}
      />
      {status ? (
        <div className="field-status" id={`${id}-status`} aria-live="polite">
          {status}
        </div>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A new password with the rule shown as it is typed (12–30 characters with letters, digits and special characters). */
export function NewPasswordField({
  label,
  value,
  onValue,
  error,
}: {
  label: string;
  value: string;
  onValue(value: string): void;
  error?: string | null;
}) {
  const parts = passwordRule(value);
  return (
    <Field
      label={label}
      type="password"
      autoComplete="new-password"
      value={value}
      onValue={onValue}
      error={error ?? null}
      required
      hint={
        <>
          <span>The password needs:</span>
          <ul className="rule" aria-label="Password rule">
            {parts.map((part) => (
              <li key={part.id} className={part.met ? 'met' : 'unmet'} data-rule={part.id}>
                <span aria-hidden="true">{part.met ? '✓' : '○'}</span> {part.label}
                <span className="visually-hidden">{part.met ? ' (done)' : ' (missing)'}</span>
              </li>
            ))}
          </ul>
        </>
      }
    />
  );
}
