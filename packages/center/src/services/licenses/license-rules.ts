/**
 * The rules a license's content follows, as pure functions: names, counts, features, terms, calendar months,
 * rebind reasons, and the state a customer sees (active, expiring, grace, expired) at a moment. Each problem is
 * a sentence a person can act on, or null.
 */
import { DAY_MS, fail, MAX_OUTAGE_GRACE_HOURS, NAME, ok } from '@tessera/core';
import type { Result } from '@tessera/core';

export const MAX_COUNT = 1_000_000;
export const MAX_REASON_CHARS = 500;
export const DEFAULT_WARN_DAYS = 30;
export const DEFAULT_GRACE_DAYS = 14;
/** A new product's outage grace: a weekend's outage of the License Manager, with a day to spare. */
export const DEFAULT_OUTAGE_GRACE_HOURS = 72;

/** What a card and the details page show: the stored status, or for an active license its place on the term. */
export type LicenseState = 'active' | 'expiring' | 'grace' | 'expired' | 'suspended' | 'ended';

/** The product's names a license is checked against (JSON columns of products, parsed). */
export interface ProductNames {
  slug: string;
  roles: string[];
  limits: string[];
  features: string[];
}

/** The same boundaries as core evaluate(): warn while within warnDays of expiry, grace until graceDays after it. */
export function licenseState(
  row: { status: 'active' | 'suspended' | 'ended'; expires_at: number; warn_days: number; grace_days: number },
  now: number,
): LicenseState {
  if (row.status !== 'active') return row.status;
  const untilExpiry = row.expires_at - now;
  if (untilExpiry > row.warn_days * DAY_MS) return 'active';
  if (untilExpiry > 0) return 'expiring';
  return now < row.expires_at + row.grace_days * DAY_MS ? 'grace' : 'expired';
}

/** Calendar months in UTC, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(at: number, months: number): number {
  const date = new Date(at);
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + months);
  const last = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, last));
  return date.getTime();
}

/** Nodes, limits, features and term of a license for a product. */
export function contentProblem(
  product: ProductNames,
  content: { nodes: unknown; limits: unknown; features: unknown; startsAt: unknown; expiresAt: unknown },
): string | null {
  return (
    countsProblem(content.nodes, 'nodes', product.roles, `roles of ${product.slug}`, true) ??
    countsProblem(content.limits, 'limits', product.limits, `limits of ${product.slug}`, false) ??
    featuresProblem(content.features, product.features, product.slug) ??
    termProblem(content.startsAt, content.expiresAt)
  );
}

export const REBIND_WINDOW_MS = 365 * DAY_MS;

/** The refusal when `recent` (times of rebinds within the window, oldest first) already reaches the limit. */
export function rebindLimitProblem(licenseId: string, recent: number[], perYear: number): string | null {
  if (recent.length < perYear) return null;
  const limit = `at most ${perYear} rebind${perYear === 1 ? '' : 's'} in 365 days (TESSERA_REBINDS_PER_YEAR)`;
  // The rebind that must leave the window before another fits in it.
  const leaving = recent[recent.length - perYear];
  const next =
    leaving === undefined
      ? ' Rebinding is turned off.'
      : ` The next rebind is possible from ${new Date(leaving + REBIND_WINDOW_MS).toISOString()}.`;
  const times = `${recent.length} time${recent.length === 1 ? '' : 's'}`;
  return `License ${licenseId} was rebound ${times} in the last 365 days; the limit is ${limit}.${next}`;
}

export function rebindReasonProblem(reason: unknown): string | null {
  return reasonProblem(reason, 'rebind', 'the ticket and what happened to the old host');
}

/** Staff changes that need a reason on record: rebind, suspension, resumption. */
export function reasonProblem(reason: unknown, what: string, example: string): string | null {
  if (typeof reason !== 'string' || reason.trim() === '') return `A ${what} needs a reason (for example ${example}).`;
  return reason.length > MAX_REASON_CHARS ? `The ${what} reason must be at most ${MAX_REASON_CHARS} characters.` : null;
}

/** A license's seats after an expansion: `add` names roles of the product, at least one seat each, within MAX_COUNT. */
export function expandedNodes(
  nodes: Record<string, number>,
  add: Record<string, number>,
  product: { slug: string; roles: string },
): Result<Record<string, number>> {
  const problem = countsProblem(add, 'nodes to add', JSON.parse(product.roles) as string[], `roles of ${product.slug}`, true);
  if (problem) return fail('BAD_REQUEST', problem);
  if (Object.values(add).some((n) => n < 1)) return fail('BAD_REQUEST', 'An expansion adds at least one node to each role it names.');
  const sum = { ...nodes };
  for (const [role, count] of Object.entries(add)) sum[role] = (sum[role] ?? 0) + count;
  if (Object.values(sum).some((n) => n > MAX_COUNT)) return fail('BAD_REQUEST', `A role can have at most ${MAX_COUNT} nodes.`);
  return ok(sum);
}

/** A new product's slug, name, name lists and outage grace (left out: the default). */
export function productProblem(input: {
  slug: unknown;
  name: unknown;
  roles: unknown;
  limits: unknown;
  features: unknown;
  outageGraceHours?: unknown;
}): string | null {
  return (
    (typeof input.slug === 'string' && NAME.test(input.slug)
      ? null
      : 'The product slug must be a name: a lower-case letter, then letters, digits, - or _ (at most 32).') ??
    textProblem(input.name, 'The product name') ??
    namesProblem(input.roles, 'roles', true) ??
    namesProblem(input.limits, 'limits', false) ??
    namesProblem(input.features, 'features', false) ??
    (input.outageGraceHours === undefined ? null : outageGraceProblem(input.outageGraceHours, 'outageGraceHours'))
  );
}

/** An outage grace in hours: a whole number from 0 (strict) to core's limit of 2160 (90 days). */
export function outageGraceProblem(value: unknown, what: string): string | null {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_OUTAGE_GRACE_HOURS
    ? null
    : `${what} must be a whole number of hours from 0 (strict: nodes stop when their lease ends) to ${MAX_OUTAGE_GRACE_HOURS} (90 days).`;
}

export function textProblem(value: unknown, what: string): string | null {
  if (typeof value !== 'string' || value.trim() === '') return `${what} is required.`;
  // eslint-disable-next-line no-control-regex
  if (value.length > 200 || /[\u0000-\u001f\u007f]/.test(value))
    return `${what} must be at most 200 characters, without control characters.`;
  return null;
}

export function namesProblem(value: unknown, what: string, required: boolean): string | null {
  if (!Array.isArray(value) || value.length > 64) return `${what} must be a list of at most 64 names.`;
  if (required && value.length === 0) return `${what} must name at least one.`;
  for (const name of value) {
    if (typeof name !== 'string' || !NAME.test(name))
      return `${what}: "${String(name)}" is not a name (a lower-case letter, then letters, digits, - or _).`;
  }
  return new Set(value).size === value.length ? null : `${what} lists a name twice.`;
}

export function countsProblem(value: unknown, what: string, allowed: string[], allowedWhat: string, required: boolean): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${what} must be an object of names to numbers.`;
  const entries = Object.entries(value);
  if (required && entries.length === 0) return `${what} must name at least one role.`;
  for (const [name, count] of entries) {
    if (!allowed.includes(name)) return `${what}: "${name}" is not one of the ${allowedWhat} (${allowed.join(', ') || 'none'}).`;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
      return `${what}: "${name}" must be a whole number from 0 to ${MAX_COUNT}.`;
    }
  }
  return null;
}

export function featuresProblem(value: unknown, allowed: string[], product: string): string | null {
  if (!Array.isArray(value)) return 'features must be a list of names.';
  for (const feature of value) {
    if (typeof feature !== 'string' || !allowed.includes(feature)) {
      return `features: "${String(feature)}" is not a feature of ${product} (${allowed.join(', ') || 'none'}).`;
    }
  }
  return new Set(value).size === value.length ? null : 'features lists a name twice.';
}

export function termProblem(startsAt: unknown, expiresAt: unknown): string | null {
  if (!Number.isSafeInteger(startsAt) || !Number.isSafeInteger(expiresAt))
    return 'startsAt and expiresAt must be times in epoch milliseconds.';
  return (expiresAt as number) > (startsAt as number) ? null : 'expiresAt must be after startsAt.';
}

/** The outage grace a license is signed with: its own, or its product's default. */
export const effectiveOutageGrace = (own: number | null, productDefault: number) => own ?? productDefault;

/** The JSON name lists of a products row. */
export function productNames(row: { slug: string; roles: string; limits: string; features: string }): ProductNames {
  return {
    slug: row.slug,
    roles: JSON.parse(row.roles) as string[],
    limits: JSON.parse(row.limits) as string[],
    features: JSON.parse(row.features) as string[],
  };
}
