/**
 * The outage grace as the pages show it: how long a license's nodes keep running while its License Manager is
 * unreachable (signed in the license; 0 is strict), in words, with its one-line explanation.
 */
import { useId } from 'react';

/** The largest outage grace the License Center signs (core's MAX_OUTAGE_GRACE_HOURS): 90 days. */
export const MAX_OUTAGE_GRACE_HOURS = 2160;

export const OUTAGE_GRACE_HINT =
  "How long nodes keep running when the customer's License Manager is unreachable; 0 = stop at the end of the lease.";
const CUSTOMER_HINT = 'How long your nodes keep running when your License Manager is unreachable; 0 = they stop at the end of their lease.';

/** "72 hours", "1 hour", "0 hours (strict)". */
export function outageGraceText(hours: number): string {
  return hours === 0 ? '0 hours (strict)' : `${hours} hour${hours === 1 ? '' : 's'}`;
}

/** Where a license's grace comes from, for staff: its own, or its product's default. */
export function graceSourceText(override: number | null): string {
  return override === null ? "the product's default" : "this license's own";
}

/** Whole hours from 0 to 2160 from a text field. */
export function graceHoursFrom(text: string): { ok: true; value: number } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (/^\d{1,4}$/.test(trimmed) && Number(trimmed) <= MAX_OUTAGE_GRACE_HOURS) return { ok: true, value: Number(trimmed) };
  return { ok: false, message: `The outage grace must be a whole number of hours from 0 to ${MAX_OUTAGE_GRACE_HOURS}; it is "${text}".` };
}

/** The fact on a license's page (a definition list's term and value), explained under the value. */
export function OutageGraceFact({ hours, source, audience }: { hours: number; source?: string; audience: 'staff' | 'customer' }) {
  const hint = useId();
  return (
    <>
      <dt>Outage grace</dt>
      <dd aria-describedby={hint}>
        {outageGraceText(hours)}
        {source ? <span className="muted"> ({source})</span> : null}
        <div className="hint" id={hint}>
          {audience === 'staff' ? OUTAGE_GRACE_HINT : CUSTOMER_HINT}
        </div>
      </dd>
    </>
  );
}
