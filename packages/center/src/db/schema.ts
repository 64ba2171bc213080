/**
 * The License Center's tables as Kysely sees them. Portable across SQLite and PostgreSQL: times are epoch
 * milliseconds (bigint), booleans are 0/1, structured values are JSON text. IDs carry a prefix (cus_, lic_, ...).
 */
import type { ColumnType, Generated } from 'kysely';

type Millis = number;

export interface ProductsTable {
  id: string; // prd_
  slug: string; // the product name in licenses, e.g. graphdb
  name: string;
  roles: string; // JSON string[]
  limits: string; // JSON string[]
  features: string; // JSON string[]
  /** The outage grace of the product's licenses that have none of their own (0..2160; 0 is strict). */
  outage_grace_hours: number;
  created_at: Millis;
}

export interface CustomersTable {
  id: string; // cus_
  name: string;
  created_at: Millis;
}

export interface UsersTable {
  id: string; // usr_
  customer_id: string | null; // null for vendor staff
  email: string; // lower-cased
  name: string;
  password_hash: string | null;
  role: 'customer' | 'admin' | 'sales' | 'support';
  status: 'pending' | 'active' | 'disabled';
  created_at: Millis;
  activated_at: Millis | null;
}

export interface SessionsTable {
  id_hash: string; // SHA-256 of the session cookie value
  user_id: string;
  csrf_token: string;
  created_at: Millis;
  expires_at: Millis;
}

/** One-time and API tokens; only their hash is stored. */
export interface TokensTable {
  id: string; // tok_
  hash: string;
  kind: 'setup' | 'activation' | 'reset' | 'login' | 'api' | 'marketplace';
  user_id: string | null;
  customer_id: string | null;
  email: string | null;
  label: string | null;
  expires_at: Millis | null;
  used_at: Millis | null;
  created_at: Millis;
}

/** Login throttling shared by every LC instance: failures per key (an account or an address) per window. */
export interface ThrottleTable {
  key: string;
  window_start: Millis;
  count: number;
}

export interface ContractsTable {
  id: string; // ctr_
  customer_id: string;
  product_id: string;
  source: 'marketplace' | 'sales';
  term: '1m' | '1y';
  auto_renew: number;
  quantities: string; // JSON { role: count }
  external_id: string | null; // marketplace customer identifier / product code
  starts_at: Millis;
  ends_at: Millis;
  status: 'active' | 'ending' | 'ended';
  created_at: Millis;
}

export interface LicensesTable {
  id: string; // lic_
  customer_id: string;
  contract_id: string | null;
  product_id: string;
  serial: number;
  nodes: string; // JSON { role: count }
  limits: string; // JSON { name: number }
  features: string; // JSON string[]
  starts_at: Millis;
  expires_at: Millis;
  warn_days: number;
  grace_days: number;
  status: 'active' | 'suspended' | 'ended';
  mode: 'online' | 'offline';
  lmid: string | null;
  /** The license's own outage grace in hours (0..2160); null follows the product's. */
  outage_grace_hours: number | null;
  /** SHA-256 of the online key; the key itself is derived from the master key and never stored. */
  online_key_hash: string;
  /** The signed license for the current serial (signed once per change, served to every sync). */
  signed_text: string | null;
  signed_serial: number | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface LicenseChangesTable {
  id: Generated<number>;
  license_id: string;
  at: Millis;
  kind: string; // created, renewed, expanded, bound, rebound, mode, suspended, ...
  serial: number;
  actor: string;
  detail: string; // JSON
}

export interface SigningKeysTable {
  kid: string;
  state: 'active' | 'retired' | 'revoked';
  public_key: string; // base64url raw
  private_key_enc: string; // AES-256-GCM under the master key
  created_at: Millis;
  retired_at: Millis | null;
}

export interface RootKeysTable {
  kid: string;
  /** active: signs trust bundles; next: made for a rotation, published but not signing yet; retired: no longer used. */
  state: 'active' | 'next' | 'retired';
  public_key: string; // base64url raw
  private_key_enc: string; // AES-256-GCM under the master key
  created_at: Millis;
  activated_at: Millis | null;
  retired_at: Millis | null;
}

export interface UsageReportsTable {
  license_id: string;
  lmid: string;
  usage: string; // JSON { role: used }
  host: string; // JSON { hostname, os }
  lm_version: string;
  reported_at: Millis;
}

/** Where an LMID has synced from: the same LMID from two hosts is a likely clone. */
export interface LmSightingsTable {
  lmid: string;
  hostname: string;
  first_seen: Millis;
  last_seen: Millis;
}

export interface MailOutboxTable {
  id: string; // mail_
  to_address: string;
  subject: string;
  text: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  claimed_by: string | null;
  claimed_until: Millis | null;
  created_at: Millis;
  sent_at: Millis | null;
  last_error: string | null;
}

export interface AuditEventsTable {
  seq: Generated<number>;
  at: Millis;
  actor: string;
  action: string;
  subject: string;
  data: string; // JSON
  prev_hash: string;
  hash: string;
}

/** The head of the audit chain: one row, locked while an event is appended, so instances append in turn. */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  /** The first event with a keyed hash; events before it were written before the upgrade that keyed the chain. */
  keyed_from: number;
  /** The keyed MAC over the legacy part's length and last hash (services/audit/audit-chain.ts); null without legacy events. */
  anchor: string | null;
}

/** Background jobs claimed by one instance at a time. */
export interface JobsTable {
  name: string;
  claimed_by: string | null;
  claimed_until: Millis | null;
  last_run_at: Millis | null;
}

/** An AWS Marketplace buyer (ResolveCustomer's customer identifier) and the LC customer it became. */
export interface MarketplaceBuyersTable {
  customer_identifier: string;
  aws_account_id: string | null;
  customer_id: string;
  created_at: Millis;
}

/** SNS messages already applied (by MessageId), written in the transaction of their change. */
export interface MarketplaceMessagesTable {
  message_id: string;
  topic_arn: string;
  type: string;
  action: string | null;
  external_id: string | null; // the contract's, when the message named one
  outcome: string; // applied, unchanged, ignored, confirmed
  applied_at: Millis;
}

/** One row per expiry notice sent: a license's term (its expiry) and the stage (30, 7, 1 days before; 0 at expiry). */
export interface ExpiryNoticesTable {
  license_id: string;
  expires_at: Millis;
  days: number;
  sent_at: Millis;
}

/**
 * An installation package staff uploaded: the file lives in the packages folder under the package id (never the
 * uploader's filename); withdrawing keeps the row (history, audit) and removes the file.
 */
export interface PackagesTable {
  id: string; // pkg_
  product_id: string;
  version: string;
  platform: string;
  filename: string; // what a download is saved as
  size: number;
  sha256: string; // lower-case hex
  uploaded_at: Millis;
  uploaded_by: string;
  withdrawn_at: Millis | null;
  withdrawn_by: string | null;
}

/** The vendor's brand as set in the staff portal: one row (id 'brand'); a null column follows the environment. */
export interface BrandSettingsTable {
  id: string;
  name: string | null;
  logo: string | null; // data:image/…;base64
  support_email: string | null;
  mail_from: string | null;
  accent: string | null; // #rrggbb
  updated_at: Millis;
  updated_by: string;
}

export interface Database {
  products: ProductsTable;
  customers: CustomersTable;
  users: UsersTable;
  sessions: SessionsTable;
  tokens: TokensTable;
  throttle: ThrottleTable;
  contracts: ContractsTable;
  licenses: LicensesTable;
  license_changes: LicenseChangesTable;
  signing_keys: SigningKeysTable;
  root_keys: RootKeysTable;
  usage_reports: UsageReportsTable;
  lm_sightings: LmSightingsTable;
  mail_outbox: MailOutboxTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  jobs: JobsTable;
  marketplace_buyers: MarketplaceBuyersTable;
  marketplace_messages: MarketplaceMessagesTable;
  expiry_notices: ExpiryNoticesTable;
  packages: PackagesTable;
  brand_settings: BrandSettingsTable;
}

export type { ColumnType };
