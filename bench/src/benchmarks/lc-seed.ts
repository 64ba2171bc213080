/**
 * Seeds a License Center database (already migrated) with many customers, their users and licenses for
 * lc-license-list: set-based INSERT ... SELECT over a generated series, one statement per table, in one transaction,
 * straight into the tables (every NOT NULL column filled as the License Center fills it). SQLite goes through
 * better-sqlite3 on the database file, PostgreSQL through pg.
 *
 * Shape: customer 0 is the big one and gets every 100th license; the other licenses go round-robin over the other
 * customers (about 10 each), so one customer's licenses are spread over the table as they would be after years of
 * sales, not stored side by side. Licenses are one minute apart in created_at (their keyset order).
 */
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { nowMs } from '../lib/measure.js';
import type { Dialect } from './lc-harness.js';

export interface SeedShape {
  readonly customers: number;
  readonly licenses: number;
  /** Every `bigEvery`-th license (from license 0) belongs to customer 0. */
  readonly bigEvery: number;
}

export const CREATED_FROM = Date.parse('2024-01-01T00:00:00Z');
const MINUTE = 60_000;
const YEAR = 365 * 86_400_000;

export const customerId = (i: number) => `cus_s${String(i).padStart(7, '0')}`;
export const userId = (i: number) => `usr_s${String(i).padStart(7, '0')}`;
export const PRODUCTS = [
  { id: 'prd_sgraphdb', slug: 'graphdb', name: 'Graph DB' },
  { id: 'prd_sstreams', slug: 'streams', name: 'Streams' },
  { id: 'prd_svault', slug: 'vault', name: 'Vault' },
];

/** The customer (index) license i belongs to. Kept in step with the SQL below; the benchmark checks the two agree. */
export function customerOf(shape: SeedShape, i: number): number {
  return i % shape.bigEvery === 0 ? 0 : 1 + (i % (shape.customers - 1));
}

/** How many licenses each customer has, by the same rule. */
export function licenseCounts(shape: SeedShape): Uint32Array {
  const counts = new Uint32Array(shape.customers);
  for (let i = 0; i < shape.licenses; i++) counts[customerOf(shape, i)]!++;
  return counts;
}

/** The SQL of one dialect: a zero-padded id from an integer expression, and a series 0..n-1 named s(i). */
interface SqlDialect {
  id(prefix: string, expr: string): string;
  insertFromSeries(table: string, columns: string, select: string, n: number): string;
}

const SQLITE: SqlDialect = {
  id: (prefix, expr) => `printf('${prefix}%07d', ${expr})`,
  insertFromSeries: (table, columns, select, n) =>
    `with recursive s(i) as (select 0 union all select i + 1 from s where i + 1 < ${n}) insert into ${table} (${columns}) select ${select} from s`,
};

const POSTGRES: SqlDialect = {
  id: (prefix, expr) => `'${prefix}' || lpad((${expr})::text, 7, '0')`,
  insertFromSeries: (table, columns, select, n) =>
    `insert into ${table} (${columns}) select ${select} from generate_series(0::bigint, ${n - 1}::bigint) as s(i)`,
};

function statements(d: SqlDialect, shape: SeedShape): { table: string; rows: number; sql: string }[] {
  const now = Date.now();
  const customerOfSql = `case when i % ${shape.bigEvery} = 0 then 0 else 1 + i % ${shape.customers - 1} end`;
  const created = `${CREATED_FROM} + i * ${MINUTE}`;
  const product = `case i % 3 ${PRODUCTS.map((p, k) => `when ${k} then '${p.id}'`).join(' ')} end`;
  return [
    {
      table: 'products',
      rows: PRODUCTS.length,
      sql:
        `insert into products (id, slug, name, roles, limits, features, created_at) values ` +
        PRODUCTS.map(
          (p) => `('${p.id}', '${p.slug}', '${p.name}', '["query","storage"]', '["memory_gb"]', '["scan","backup"]', ${CREATED_FROM})`,
        ).join(', '),
    },
    {
      table: 'customers',
      rows: shape.customers,
      sql: d.insertFromSeries(
        'customers',
        'id, name, created_at',
        `${d.id('cus_s', 'i')}, 'Customer ' || i, ${CREATED_FROM} + i`,
        shape.customers,
      ),
    },
    {
      table: 'users',
      rows: shape.customers,
      sql: d.insertFromSeries(
        'users',
        'id, customer_id, email, name, password_hash, role, status, created_at, activated_at',
        `${d.id('usr_s', 'i')}, ${d.id('cus_s', 'i')}, 'customer' || i || '@bench.example', 'User ' || i, null, 'customer', 'active', ${now}, ${now}`,
        shape.customers,
      ),
    },
    {
      table: 'licenses',
      rows: shape.licenses,
      sql: d.insertFromSeries(
        'licenses',
        'id, customer_id, contract_id, product_id, serial, nodes, limits, features, starts_at, expires_at, warn_days, grace_days, ' +
          'status, mode, lmid, online_key_hash, signed_text, signed_serial, created_at, updated_at',
        [
          d.id('lic_s', 'i'),
          d.id('cus_s', customerOfSql),
          'null',
          product,
          '1 + i % 4',
          `'{"query":' || (1 + i % 16) || ',"storage":' || (1 + i % 5) || '}'`,
          `'{"memory_gb":64}'`,
          `'["scan"]'`,
          created,
          `${created} + ${YEAR}`,
          '30',
          '14',
          `case when i % 50 = 7 then 'suspended' else 'active' end`,
          `case when i % 2 = 0 then 'online' else 'offline' end`,
          `case when i % 3 = 0 then null else ${d.id('SEED-LMID-', 'i')} end`,
          // Unique, as the column requires; the License Center's own hashes are SHA-256 hex of online keys.
          d.id('seed-key-hash-', 'i'),
          'null',
          'null',
          created,
          created,
        ].join(', '),
        shape.licenses,
      ),
    },
  ];
}

export interface SeedTimes {
  /** Seconds per table, and the statistics step (PostgreSQL: VACUUM ANALYZE, as autovacuum would run it). */
  readonly tables: Record<string, number>;
  readonly analyzeSeconds: number | null;
  readonly totalSeconds: number;
}

/** Inserts every row in one transaction; the database must be migrated and otherwise empty of these rows. */
export async function seed(
  dialect: Dialect,
  target: { sqliteFile: string } | { databaseUrl: string },
  shape: SeedShape,
): Promise<SeedTimes> {
  const started = nowMs();
  const tables: Record<string, number> = {};
  if (dialect === 'sqlite') {
    if (!('sqliteFile' in target)) throw new Error('seed: SQLite needs the database file');
    const db = new Sqlite(target.sqliteFile);
    try {
      // This connection only: a big page cache for the index inserts, no fsync per step (one commit at the end).
      db.pragma('cache_size = -1000000');
      db.pragma('synchronous = OFF');
      db.pragma('foreign_keys = ON');
      db.transaction(() => {
        for (const s of statements(SQLITE, shape)) {
          const t = nowMs();
          const { changes } = db.prepare(s.sql).run();
          if (changes !== s.rows) throw new Error(`seeding ${s.table} inserted ${changes} rows, not ${s.rows}`);
          tables[s.table] = (nowMs() - t) / 1000;
        }
      })();
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
    return { tables, analyzeSeconds: null, totalSeconds: (nowMs() - started) / 1000 };
  }
  if (!('databaseUrl' in target)) throw new Error('seed: PostgreSQL needs the database URL');
  const client = new pg.Client({ connectionString: target.databaseUrl });
  await client.connect();
  try {
    await client.query('begin');
    for (const s of statements(POSTGRES, shape)) {
      const t = nowMs();
      const { rowCount } = await client.query(s.sql);
      if (rowCount !== s.rows) throw new Error(`seeding ${s.table} inserted ${rowCount} rows, not ${s.rows}`);
      tables[s.table] = (nowMs() - t) / 1000;
    }
    await client.query('commit');
    // What autovacuum would have done long before anyone looks at a database this size: statistics for the planner
    // and the visibility map. Done now so that it does not run in the middle of a measurement.
    const t = nowMs();
    await client.query('vacuum analyze');
    return { tables, analyzeSeconds: (nowMs() - t) / 1000, totalSeconds: (nowMs() - started) / 1000 };
  } finally {
    await client.end();
  }
}
