/**
 * The features and named limits a license grants, as staff choose them in the sale, new license and license forms:
 * a checkbox per feature of the product and a whole-number field per limit (blank: the limit is not granted, which
 * is not the same as 0). Only the product's own names are offered, so nothing else can be sent.
 */
import { useId } from 'react';

/** What the form holds, by name: ticked features, and each limit's text as typed. */
export interface FeaturesLimitsChoice {
  features: Record<string, boolean>;
  limits: Record<string, string>;
}

export interface Granted {
  features: string[];
  limits: Record<string, number>;
}

type Names = { features: string[]; limits: string[] };

export const NONE_CHOSEN: FeaturesLimitsChoice = { features: {}, limits: {} };

/** The form prefilled with what a license grants now. */
export function choiceOf(granted: Granted): FeaturesLimitsChoice {
  return {
    features: Object.fromEntries(granted.features.map((feature) => [feature, true])),
    limits: Object.fromEntries(Object.entries(granted.limits).map(([name, value]) => [name, String(value)])),
  };
}

/** The grant the form states, the product's names only; a limit that is not a whole number is named. */
export function featuresAndLimitsFrom(
  product: Names,
  choice: FeaturesLimitsChoice,
): { ok: true; value: Granted } | { ok: false; message: string } {
  const limits: Record<string, number> = {};
  for (const name of product.limits) {
    const text = (choice.limits[name] ?? '').trim();
    if (text === '') continue;
    if (!/^\d{1,7}$/.test(text) || Number(text) > 1_000_000)
      return { ok: false, message: `The ${name} limit must be a whole number from 0 to 1000000, or blank to grant none; it is "${text}".` };
    limits[name] = Number(text);
  }
  return { ok: true, value: { features: product.features.filter((feature) => choice.features[feature]), limits } };
}

/** "remote_clusters 3 · tenants 1; features scan, federation" */
export function featuresLimitsText(granted: Granted): string {
  const limits = Object.entries(granted.limits);
  return (
    `limits ${limits.length ? limits.map(([name, n]) => `${name} ${n}`).join(' · ') : 'none'}; ` +
    `features ${granted.features.length ? granted.features.join(', ') : 'none'}`
  );
}

/** The product's features as checkboxes and its limits as fields; nothing when it defines neither. */
export function FeaturesAndLimits({
  product,
  choice,
  onChoice,
  error,
}: {
  product: Names;
  choice: FeaturesLimitsChoice;
  onChoice(choice: FeaturesLimitsChoice): void;
  error?: string | null;
}) {
  const id = useId();
  return (
    <>
      {product.features.length > 0 ? (
        <fieldset className="choice">
          <legend>Features</legend>
          {product.features.map((feature) => (
            <label className="option-inline" key={feature}>
              <input
                type="checkbox"
                checked={choice.features[feature] ?? false}
                onChange={(event) => onChoice({ ...choice, features: { ...choice.features, [feature]: event.target.checked } })}
              />{' '}
              {feature}
            </label>
          ))}
        </fieldset>
      ) : null}
      {product.limits.length > 0 ? (
        <fieldset className="choice counts" aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}>
          <legend>Limits</legend>
          <p className="hint" id={`${id}-hint`}>
            A whole number each; leave a limit blank to grant none of it.
          </p>
          <div className="count-fields">
            {product.limits.map((name) => (
              <div className="field" key={name}>
                <label htmlFor={`${id}-${name}`}>{name} limit</label>
                <input
                  id={`${id}-${name}`}
                  type="text"
                  inputMode="numeric"
                  autoComplete="off"
                  value={choice.limits[name] ?? ''}
                  aria-invalid={error ? true : undefined}
                  onChange={(event) => onChoice({ ...choice, limits: { ...choice.limits, [name]: event.target.value } })}
                />
              </div>
            ))}
          </div>
          {error ? (
            <p className="field-error" id={`${id}-error`} role="alert">
              {error}
            </p>
          ) : null}
        </fieldset>
      ) : null}
    </>
  );
}
