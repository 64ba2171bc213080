/**
 * The dialects every LC integration test runs on (DIALECTS=sqlite,postgres by default): a fresh database per
 * call, an embedded SQLite file in a temp dir or a new database in the throwaway PostgreSQL cluster.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { Dialect } from '../../src/db/connect.js';

export const DIALECTS: Dialect[] = (process.env.DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim()) as Dialect[];

export interface TestDatabase {
  dialect: Dialect;
  /** DATABASE_URL for this database (null for the embedded SQLite default). */
  databaseUrl: string | null;
  dataDir: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-lc-'));
  if (dialect === 'sqlite') {
    return { dialect, databaseUrl: null, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const admin = inject('postgresUrl');
  if (!admin) throw new Error('DIALECTS includes postgres but no cluster was started');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  return {
    dialect,
    databaseUrl: admin.replace(/\/postgres$/, `/${name}`),
    dataDir,
    async drop() {
      rmSync(dataDir, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
