/**
 * The staff API as the staff pages read it (types generated from the License Center's description), and what a staff role may
 * do. The roles only decide what is shown: the License Center decides, and a refusal it hides as a 404 for a
 * route (`There is no POST /v1/staff/… here.`) is shown as "not available to your role".
 */
import { messageOf } from '../api';
import type { Answer, Role } from '../api';
import type { components, operations } from '../api-types';

export type StaffRole = Exclude<Role, 'customer'>;

/** Who may do what, as the route summaries say: sales and admin sell, support and admin move bindings. */
export const CAN = {
  sell: (role: Role) => role === 'admin' || role === 'sales',
  rebind: (role: Role) => role === 'admin' || role === 'support',
  administer: (role: Role) => role === 'admin',
};

/** The API's sentence for a failure (see messageOf: a route hidden from the role is "not available to your role"). */
export const staffMessageOf = messageOf;

/** A page of a list: its items and the cursor of the next page (null on the last). */
export type Page<T> = Omit<Answer<'getStaffCustomers'>, 'items'> & { items: T[] };

type Schemas = components['schemas'];
export type Product = Schemas['Product'];
/** A product's new default outage grace and how many licenses that follow it were signed again. */
export type ProductGraceChange = Schemas['ProductGraceChange'];
export type CustomerSummary = Schemas['CustomerSummary'];
export type Contract = Schemas['Contract'];
export type CustomerDetails = Schemas['CustomerDetails'];
/** A license as the staff writes answer it (create, renew, expand, suspend, rebind, issue). */
export type LicenseView = Schemas['License'];
/** Everything a request code asks for, checked against a product. */
export type RequestCodePreview = Schemas['RequestCodePreview'];
/** What an offline key issued from a request code holds: exactly what staff confirmed (the issue body's grant). */
export type RequestCodeGrant = NonNullable<operations['postStaffRequestCodesIssue']['requestBody']>['content']['application/json']['grant'];
export type RenewalRequest = Schemas['RenewalRequest'];
export type AuditEvent = Schemas['AuditEvent'];
export type AuditVerification = Schemas['AuditVerification'];
export type SigningKey = Schemas['SigningKey'];
export type StaffUser = Schemas['StaffUser'];

export const STAFF_ROLES: StaffRole[] = ['admin', 'sales', 'support'];

const seg = encodeURIComponent;
export const staffPath = {
  customer: (id: string) => `/v1/staff/customers/${seg(id)}`,
  contract: (id: string) => `/v1/staff/contracts/${seg(id)}`,
  license: (id: string) => `/v1/staff/licenses/${seg(id)}`,
  user: (id: string) => `/v1/staff/users/${seg(id)}`,
};

/** Whole numbers of nodes per role from the text fields of a form; blank fields count as 0. */
export function countsFrom(fields: Record<string, string>): { ok: true; value: Record<string, number> } | { ok: false; message: string } {
  const value: Record<string, number> = {};
  for (const [role, text] of Object.entries(fields)) {
    const trimmed = text.trim();
    if (trimmed === '') {
      value[role] = 0;
      continue;
    }
    if (!/^\d+$/.test(trimmed)) return { ok: false, message: `The ${role} count must be a whole number, 0 or more; it is "${text}".` };
    value[role] = Number(trimmed);
  }
  return { ok: true, value };
}
