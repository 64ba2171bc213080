/**
 * The License Manager's tables in a PostgreSQL database shared by its replicas (the customer's database, named in
 * the YAML). Every name starts with tessera_lm_, so the database may hold other things. Migrations run in one
 * transaction under an advisory lock, so replicas starting together migrate once; the version is a row, as
 * SQLite's user_version is for the single License Manager (state/db.ts).
 */
import pg from 'pg';

/** The advisory lock class of every Tessera lock ('tess'), so a customer's own advisory locks in the database never collide. */
export const LOCK_CLASS = 0x74657373;
/** Lock ids within LOCK_CLASS; role locks take hashes (pg-store.ts), which never equal these small numbers by design. */
export const MIGRATION_LOCK = 1;

const MIGRATIONS: string[] = [
  `CREATE TABLE tessera_lm_installation (
     id smallint PRIMARY KEY CHECK (id = 1),
     installation_id text NOT NULL,
     host_digest text NOT NULL,
     public_key text NOT NULL,
     sealed_seed text NOT NULL,
     origin text NOT NULL CHECK (origin IN ('new', 'imported')),
     created_at bigint NOT NULL
   );
   CREATE TABLE tessera_lm_sealed (
     id smallint PRIMARY KEY CHECK (id = 1),
     sealed text NOT NULL,
     version bigint NOT NULL
   );
   CREATE TABLE tessera_lm_license (
     id smallint PRIMARY KEY CHECK (id = 1),
     source text NOT NULL CHECK (source IN ('offline', 'online')),
     license_text text,
     online_key text,
     license_id text,
     serial integer,
     loaded_at bigint NOT NULL,
     last_sync_at bigint,
     last_sync_ok boolean,
     last_sync_error text,
     version bigint NOT NULL
   );
   CREATE TABLE tessera_lm_leases (
     id text PRIMARY KEY,
     product text NOT NULL,
     role text NOT NULL,
     node_id text NOT NULL,
     host text,
     instance text,
     since bigint NOT NULL,
     expires_at bigint NOT NULL,
     UNIQUE (product, role, node_id)
   );
   CREATE INDEX tessera_lm_leases_live ON tessera_lm_leases (product, role, expires_at);
   CREATE INDEX tessera_lm_leases_expiry ON tessera_lm_leases (expires_at);
   CREATE TABLE tessera_lm_events (
     id bigserial PRIMARY KEY,
     at bigint NOT NULL,
     kind text NOT NULL,
     code text,
     detail text NOT NULL,
     replica text
   );
   CREATE INDEX tessera_lm_events_at ON tessera_lm_events (at);
   CREATE TABLE tessera_lm_notifications (kind text PRIMARY KEY, last_sent_at bigint NOT NULL);
   CREATE TABLE tessera_lm_replicas (
     id text PRIMARY KEY,
     hostname text NOT NULL,
     pid integer NOT NULL,
     port integer NOT NULL,
     version text NOT NULL,
     started_at bigint NOT NULL,
     last_seen_at bigint NOT NULL
   );
   CREATE TABLE tessera_lm_sync_leader (
     id smallint PRIMARY KEY CHECK (id = 1),
     replica text NOT NULL,
     until bigint NOT NULL
   );`,
];

/** bigint columns hold epoch milliseconds and counts, which fit a double: read them as numbers (this pool only). */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

export interface PgOptions {
  url: string;
  poolSize: number;
  /** A pooled connection the server dropped (a restart): reported, and the pool makes a new one. */
  onError: (error: Error) => void;
}

/** A pool for the shared database, migrated to the current schema. */
export async function openPgPool(options: PgOptions): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    types,
    // A database that does not answer must fail a request within seconds (the SDK then tries another replica),
    // never hang it: the seat API's own timeout is the same order.
    connectionTimeoutMillis: 3000,
    statement_timeout: 5000,
    query_timeout: 6000,
    idle_in_transaction_session_timeout: 10_000,
    keepAlive: true,
    application_name: 'tessera-lm',
  });
  pool.on('error', options.onError);
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  return pool;
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS tessera_lm_schema (id smallint PRIMARY KEY CHECK (id = 1), version integer NOT NULL)');
    const row = (await client.query<{ version: number }>('SELECT version FROM tessera_lm_schema WHERE id = 1')).rows[0];
    const current = row?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `The database's License Manager tables are of a newer release (schema ${current}; this one knows ${MIGRATIONS.length}). Upgrade this replica to the release the others run.`,
      );
    }
    for (let version = current; version < MIGRATIONS.length; version++) await client.query(MIGRATIONS[version]!);
    await client.query(
      'INSERT INTO tessera_lm_schema (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = excluded.version',
      [MIGRATIONS.length],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
