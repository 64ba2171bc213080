/**
 * Migrations, the same for SQLite and PostgreSQL (Kysely's schema builder plus the one type that differs:
 * an auto-increment key). They run on start and with `tessera-center migrate`; Kysely's migrator takes a lock,
 * so several instances starting together migrate once.
 */
import { Migrator, sql } from 'kysely';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { anchorOf, auditChainKey } from '../services/audit/audit-chain.js';
import { LM_PRODUCT } from '../services/packages/lm-product.js';
import type { Dialect } from './connect.js';

function initial(dialect: Dialect): Migration {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      const time = 'bigint';
      await db.schema
        .createTable('products')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('limits', 'text', (c) => c.notNull())
        .addColumn('features', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('customers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text')
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('activated_at', time)
        .execute();
      await db.schema.createIndex('users_customer').on('users').column('customer_id').execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('expires_at', time, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.references('users.id'))
        .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
        .addColumn('email', 'text')
        .addColumn('label', 'text')
        .addColumn('expires_at', time)
        .addColumn('used_at', time)
        .addColumn('created_at', time, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('throttle')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('window_start', time, (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('contracts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
        .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('term', 'text', (c) => c.notNull())
        .addColumn('auto_renew', 'integer', (c) => c.notNull())
        .addColumn('quantities', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text')
        .addColumn('starts_at', time, (c) => c.notNull())
        .addColumn('ends_at', time, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('contracts_customer').on('contracts').column('customer_id').execute();
      await db.schema
        .createTable('licenses')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
        .addColumn('contract_id', 'text', (c) => c.references('contracts.id'))
        .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
        .addColumn('serial', 'integer', (c) => c.notNull())
        .addColumn('nodes', 'text', (c) => c.notNull())
        .addColumn('limits', 'text', (c) => c.notNull())
        .addColumn('features', 'text', (c) => c.notNull())
        .addColumn('starts_at', time, (c) => c.notNull())
        .addColumn('expires_at', time, (c) => c.notNull())
        .addColumn('warn_days', 'integer', (c) => c.notNull())
        .addColumn('grace_days', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('lmid', 'text')
        .addColumn('online_key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('signed_text', 'text')
        .addColumn('signed_serial', 'integer')
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .execute();
      // A customer's license list is the portal's home page: one index serves it, keyset-paged on (created_at, id).
      await db.schema.createIndex('licenses_customer').on('licenses').columns(['customer_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('licenses_lmid').on('licenses').column('lmid').execute();
      await db.schema
        .createTable('license_changes')
        .addColumn('id', serial, (c) => c.primaryKey().$call((col) => (dialect === 'sqlite' ? col.autoIncrement() : col)))
        .addColumn('license_id', 'text', (c) => c.notNull().references('licenses.id'))
        .addColumn('at', time, (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('serial', 'integer', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('license_changes_license').on('license_changes').columns(['license_id', 'id']).execute();
      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('private_key_enc', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('retired_at', time)
        .execute();
      // The database itself allows one active signing key, whatever several instances do at once.
      await sql`create unique index signing_keys_one_active on signing_keys (state) where state = 'active'`.execute(db);
      await db.schema
        .createTable('usage_reports')
        .addColumn('license_id', 'text', (c) => c.primaryKey().references('licenses.id'))
        .addColumn('lmid', 'text', (c) => c.notNull())
        .addColumn('usage', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('lm_version', 'text', (c) => c.notNull())
        .addColumn('reported_at', time, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('lm_sightings')
        .addColumn('lmid', 'text', (c) => c.notNull())
        .addColumn('hostname', 'text', (c) => c.notNull())
        .addColumn('first_seen', time, (c) => c.notNull())
        .addColumn('last_seen', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('lm_sightings_pk', ['lmid', 'hostname'])
        .execute();
      await db.schema
        .createTable('mail_outbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('to_address', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('claimed_by', 'text')
        .addColumn('claimed_until', time)
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('sent_at', time)
        .addColumn('last_error', 'text')
        .execute();
      await db.schema.createIndex('mail_outbox_pending').on('mail_outbox').columns(['status', 'created_at']).execute();
      await db.schema
        .createTable('audit_events')
        .addColumn('seq', serial, (c) => c.primaryKey().$call((col) => (dialect === 'sqlite' ? col.autoIncrement() : col)))
        .addColumn('at', time, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_events_subject').on('audit_events').columns(['subject', 'seq']).execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await sql`insert into audit_head (id, seq, hash) values (1, 0, ${'0'.repeat(64)})`.execute(db);
      await db.schema
        .createTable('jobs')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('claimed_by', 'text')
        .addColumn('claimed_until', time)
        .addColumn('last_run_at', time)
        .execute();
    },
  };
}

/** Indexes for staff's lists: open renewal requests (by kind and time) and a contract's licenses. */
const listIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('license_changes_kind').on('license_changes').columns(['kind', 'at']).execute();
    await db.schema.createIndex('licenses_contract').on('licenses').column('contract_id').execute();
  },
};

/**
 * AWS Marketplace: buyers (a customer identifier, linked to one LC customer), one marketplace contract per buyer and
 * product code, and the SNS messages already applied, so a message delivered again changes nothing.
 */
const marketplace: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('marketplace_buyers')
      .addColumn('customer_identifier', 'text', (c) => c.primaryKey())
      .addColumn('aws_account_id', 'text')
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('contracts_external').on('contracts').columns(['source', 'external_id']).unique().execute();
    await db.schema
      .createTable('marketplace_messages')
      .addColumn('message_id', 'text', (c) => c.primaryKey())
      .addColumn('topic_arn', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('action', 'text')
      .addColumn('external_id', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/** Expiry mail: which notice (30, 7, 1 days before, or 0 at expiry) went out for which term, and an index to find them. */
const expiryNotices: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('expiry_notices')
      .addColumn('license_id', 'text', (c) => c.notNull().references('licenses.id'))
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('days', 'integer', (c) => c.notNull())
      .addColumn('sent_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('expiry_notices_pk', ['license_id', 'expires_at', 'days'])
      .execute();
    await db.schema.createIndex('licenses_expiry').on('licenses').columns(['status', 'expires_at']).execute();
  },
};

/**
 * Installation packages: one current package per product, version and platform (a withdrawn one may be uploaded
 * again), listed by product, newest first.
 */
const packages: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('packages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('product_id', 'text', (c) => c.notNull().references('products.id'))
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('platform', 'text', (c) => c.notNull())
      .addColumn('filename', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('uploaded_at', 'bigint', (c) => c.notNull())
      .addColumn('uploaded_by', 'text', (c) => c.notNull())
      .addColumn('withdrawn_at', 'bigint')
      .addColumn('withdrawn_by', 'text')
      .execute();
    await db.schema
      .createIndex('packages_current')
      .on('packages')
      .columns(['product_id', 'version', 'platform'])
      .unique()
      .where(sql.ref('withdrawn_at'), 'is', null)
      .execute();
    await db.schema.createIndex('packages_product').on('packages').columns(['product_id', 'uploaded_at']).execute();
  },
};

/**
 * The audit chain becomes keyed (HMAC under a key derived from the master key; services/audit/audit-chain.ts). Events
 * already written keep their SHA-256 hashes and still verify; the head as it is now is anchored with a keyed MAC,
 * so they cannot be recomputed unnoticed either, and every event from here on is keyed. That needs the master key
 * when there are events; a database without any has nothing to anchor.
 */
function auditKeyed(dialect: Dialect, masterKey: Uint8Array | null): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const work = async (trx: Kysely<unknown>) => {
        // Locked (PostgreSQL; SQLite's transaction holds the write lock), so no append slips in between.
        const lock = dialect === 'postgres' ? sql` for update` : sql``;
        const { rows } = await sql<{ seq: number | string; hash: string }>`select seq, hash from audit_head where id = 1${lock}`.execute(
          trx,
        );
        const head = rows[0];
        if (!head) throw new Error('the audit_head row is missing');
        const legacy = Number(head.seq);
        if (legacy > 0 && !masterKey) {
          throw new Error(
            `the audit log holds ${legacy} events to anchor with the master key; run tessera-center migrate or serve, which have it`,
          );
        }
        await trx.schema
          .alterTable('audit_head')
          .addColumn('keyed_from', 'bigint', (c) => c.notNull().defaultTo(1))
          .execute();
        await trx.schema.alterTable('audit_head').addColumn('anchor', 'text').execute();
        const anchor = legacy > 0 ? anchorOf(auditChainKey(masterKey!), legacy, head.hash) : null;
        await sql`update audit_head set keyed_from = ${legacy + 1}, anchor = ${anchor} where id = 1`.execute(trx);
      };
      // PostgreSQL runs every migration in a transaction already; SQLite's are not, and this one must be whole.
      if (dialect === 'postgres') await work(db);
      else await db.transaction().execute(work);
    },
  };
}

/** The vendor's root keys (trust rooted in the product): the active one signs trust bundles; a next one awaits a rotation. */
const trustRoots: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('root_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('private_key_enc', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('activated_at', 'bigint')
      .addColumn('retired_at', 'bigint')
      .execute();
  },
};

/**
 * Outage grace (how long a running node keeps its seat while its License Manager is silent; signed in the license
 * as outageGraceHours): a default per product, and a license's own value where staff set one (null follows the
 * product). Products already there get 0, strict, which is what every license they issued was signed with: an
 * upgrade must not change what the next re-signing of a customer's license means. A new product gets 72 hours from
 * the catalogue (services/catalogue/catalogue.ts); the column's default is only for the rows already there.
 */
const outageGrace: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('products')
      .addColumn('outage_grace_hours', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('licenses').addColumn('outage_grace_hours', 'integer').execute();
  },
};

/**
 * The License Manager as a built-in product (services/packages/lm-product.ts), under which its installation
 * packages are published for every customer. No roles: no license can be made for it. A product the vendor made
 * with the same slug before is taken as it is.
 */
const lmProduct: Migration = {
  async up(db: Kysely<unknown>) {
    const { id, slug, name } = LM_PRODUCT;
    await sql`insert into products (id, slug, name, roles, limits, features, created_at)
      values (${id}, ${slug}, ${name}, '[]', '[]', '[]', ${Date.now()})
      on conflict (slug) do nothing`.execute(db);
  },
};

/** The vendor's brand set in the staff portal (services/brand/brand.ts); without a row, the environment's. */
const brandSettings: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('brand_settings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text')
      .addColumn('logo', 'text')
      .addColumn('support_email', 'text')
      .addColumn('mail_from', 'text')
      .addColumn('accent', 'text')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
  },
};

export interface MigrationOptions {
  /** Needed to key the audit chain of a database that has audit events (0006); the CLI and serve pass it. */
  masterKey?: Uint8Array;
}

export function migrator(db: Kysely<unknown>, dialect: Dialect, options: MigrationOptions = {}): Migrator {
  const provider: MigrationProvider = {
    getMigrations: async () => ({
      '0001_initial': initial(dialect),
      '0002_list_indexes': listIndexes,
      '0003_marketplace': marketplace,
      '0004_expiry_notices': expiryNotices,
      '0005_packages': packages,
      '0006_audit_keyed': auditKeyed(dialect, options.masterKey ?? null),
      '0007_trust_roots': trustRoots,
      '0008_outage_grace': outageGrace,
      '0009_lm_product': lmProduct,
      '0010_brand_settings': brandSettings,
    }),
  };
  return new Migrator({ db, provider });
}

/** Brings the schema up to date; the error names the migration that failed. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, options: MigrationOptions = {}): Promise<string[]> {
  const { error, results } = await migrator(db, dialect, options).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${(error as Error).message}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
