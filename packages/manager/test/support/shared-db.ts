/**
 * A fresh PostgreSQL database per test in the throwaway cluster of scripts/postgres-global-setup.ts, for License
 * Manager replicas to share, and worlds whose config names it. Without a cluster (DIALECTS=sqlite) `sharedDbUrl`
 * is null and the tests that need one are skipped.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { LmConfig } from '../../src/config.js';
import type { World } from './world.js';

export const sharedDbUrl: string | null = inject('postgresUrl');

export const HA_SECRET = 'b7f1c0de'.repeat(8);

export interface TestDatabase {
  url: string;
  /** Runs SQL as the test (an attacker with the database, or a check). */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createDatabase(adminUrl = sharedDbUrl): Promise<TestDatabase> {
  if (!adminUrl) throw new Error('no PostgreSQL cluster (DIALECTS does not include postgres)');
  const name = `lm_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {});
  return {
    url,
    query: async (sql, values) => (await pool.query(sql, values)).rows,
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** The world's config made a replica of the License Manager in `url`: its own data path, the shared secret. */
export function replicaConfig(world: World, url: string, index: number, change: Partial<LmConfig> = {}): LmConfig {
  const dataPath = join(world.dir, `replica-${index}`);
  mkdirSync(dataPath, { recursive: true });
  return {
    ...world.config,
    dataPath,
    database: { url, urlFile: null, poolSize: 10, secret: HA_SECRET, secretFile: null },
    ...change,
  };
}
