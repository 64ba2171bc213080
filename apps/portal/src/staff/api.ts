/**
 * The staff API as the staff pages read it (packages/center/src/http/routes/staff-*.ts), and what a staff role may
 * do. The roles only decide what is shown: the License Center decides, and a refusal it hides as a 404 for a
 * route (`There is no POST /v1/staff/… here.`) is shown as "not available to your role".
 */
import { messageOf } from '../api';
import type { Role } from '../api';

export type StaffRole = Exclude<Role, 'customer'>;

/** Who may do what, as the route summaries say: sales and admin sell, support and admin move bindings. */
export const CAN = {
  sell: (role: Role) => role === 'admin' || role === 'sales',
  rebind: (role: Role) => role === 'admin' || role === 'support',
  administer: (role: Role) => role === 'admin',
};

/** The API's sentence for a failure (see messageOf: a route hidden from the role is "not available to your role"). */
export const staffMessageOf = messageOf;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Product {
  id: string;
  slug: string;
  name: string;
  roles: string[];
  limits: string[];
  features: string[];
  createdAt: number;
}

export interface CustomerSummary {
  id: string;
  name: string;
  createdAt: number;
}

export interface Contract {
  id: string;
  customerId: string;
  productId: string;
  source: 'sales' | 'marketplace';
  term: '1m' | '1y';
  autoRenew: boolean;
  quantities: Record<string, number>;
  externalId: string | null;
  startsAt: number;
  endsAt: number;
  status: 'active' | 'ending' | 'ended';
  createdAt: number;
  licenseIds: string[];
}

export interface CustomerDetails extends CustomerSummary {
  users: { id: string; email: string; name: string; status: string }[];
  contracts: Page<Contract>;
  licenseCount: number;
}

/** A license as the staff writes answer it (create, renew, expand, suspend, rebind, issue). */
export interface LicenseView {
  id: string;
  customerId: string;
  productId: string;
  serial: number;
  nodes: Record<string, number>;
  startsAt: number;
  expiresAt: number;
  status: 'active' | 'suspended' | 'ended';
  mode: 'online' | 'offline';
  lmid: string | null;
}

/** Everything a request code asks for, checked against a product (packages/center/src/services/request-codes.ts). */
export interface RequestCodePreview {
  lmid: string;
  contact: { name: string; email: string; phone: string };
  host: { hostname: string; os: string; lmVersion: string };
  product: string | null;
  nodes: Record<string, number>;
  limits: Record<string, number>;
  features: string[];
  months: number;
  createdAt: string;
  checkedAgainst: { id: string; slug: string } | null;
  flags: { item: 'product' | 'role' | 'limit' | 'feature'; name: string; message: string }[];
}

/** What an offline key issued from a request code holds: exactly what staff confirmed. */
export interface RequestCodeGrant {
  nodes: Record<string, number>;
  limits: Record<string, number>;
  features: string[];
  months: number;
}

export interface RenewalRequest {
  licenseId: string;
  customer: { id: string; name: string };
  product: string;
  months: 1 | 12;
  requestedAt: number;
  requestedBy: string;
  expiresAt: number;
}

export interface AuditEvent {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type AuditVerification = { ok: true; events: number } | { ok: false; events: number; brokenAt: number; reason: string };

export interface SigningKey {
  kid: string;
  state: 'active' | 'retired' | 'revoked';
  publicKey: string;
  createdAt: number;
  retiredAt: number | null;
}

export interface StaffUser {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  status: string;
  createdAt: number;
  activatedAt: number | null;
}

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
