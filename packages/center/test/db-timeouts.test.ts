/**
 * Waits on the database are bounded and a wait that runs out is logged as such (issue 12): a statement cancelled
 * by statement_timeout and a pool with no free connection on PostgreSQL, SQLite's write lock held by another
 * process; and the settings that bound them, with each bad value named.
 */
import Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCenterConfig } from '../src/config.js';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseTimeout } from '../src/db/connect.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';
import { startTestCenter } from './support/http.js';

const masterKey = { TESSERA_MASTER_KEY: 'x'.repeat(43) };

describe('database timeout settings', () => {
  it('default to 10 s for a connection or lock and 30 s for a statement, and take whole milliseconds', () => {
    const defaults = loadCenterConfig({ data: '/tmp/unused' }, masterKey);
    expect(defaults.ok && defaults.config.database).toEqual({ acquireTimeoutMs: 10_000, statementTimeoutMs: 30_000 });
    expect(defaults.ok && defaults.config.jobs).toEqual({ periodMs: 5_000 });
    const set = loadCenterConfig(
      { data: '/tmp/unused' },
      { ...masterKey, TESSERA_DB_ACQUIRE_TIMEOUT_MS: '2500', TESSERA_DB_STATEMENT_TIMEOUT_MS: '60000', TESSERA_JOB_PERIOD_MS: '250' },
    );
    expect(set.ok && set.config.database).toEqual({ acquireTimeoutMs: 2_500, statementTimeoutMs: 60_000 });
    expect(set.ok && set.config.jobs).toEqual({ periodMs: 250 });
  });

  it('names each bad value', () => {
    const bad = loadCenterConfig(
      { data: '/tmp/unused' },
      { ...masterKey, TESSERA_DB_ACQUIRE_TIMEOUT_MS: '10s', TESSERA_DB_STATEMENT_TIMEOUT_MS: '0', TESSERA_JOB_PERIOD_MS: '-5' },
    );
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems).toEqual([
      'TESSERA_JOB_PERIOD_MS must be a whole number of milliseconds from 10 to 3600000 (got "-5").',
      'TESSERA_DB_ACQUIRE_TIMEOUT_MS must be a whole number of milliseconds from 10 to 600000 (got "10s").',
      'TESSERA_DB_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds from 10 to 3600000 (got "0").',
    ]);
  });
});

describe('a SQLite write lock held by another process', () => {
  let target: TestDatabase;
  beforeAll(async () => {
    target = await createTestDatabase('sqlite');
  });
  afterAll(() => target.drop());

  it('fails the write after the acquire timeout and reports it as a lock timeout', async () => {
    const timeouts: DatabaseTimeout[] = [];
    const handle = openDatabase({
      databaseUrl: null,
      dataDir: target.dataDir,
      timeouts: { acquireTimeoutMs: 50 },
      onTimeout: (t) => timeouts.push(t),
    });
    const other = new Sqlite(`${target.dataDir}/tessera.db`);
    try {
      await sql`create table t (x integer)`.execute(handle.db);
      other.exec('begin immediate');
      await expect(sql`insert into t values (1)`.execute(handle.db)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      expect(timeouts).toEqual([
        {
          kind: 'lock',
          timeoutMs: 50,
          sql: 'insert into t values (1)',
          message: "the database's write lock was not free within 50 ms (another process holds it)",
        },
      ]);
      other.exec('rollback');
      await sql`insert into t values (1)`.execute(handle.db);
      expect(timeouts).toHaveLength(1);
    } finally {
      other.close();
      await handle.close();
    }
  });
});

describe.runIf(DIALECTS.includes('postgres'))('PostgreSQL waits', () => {
  let target: TestDatabase;
  beforeAll(async () => {
    target = await createTestDatabase('postgres');
  });
  afterAll(() => target.drop());

  it('cancels a statement that runs past the statement timeout and reports it', async () => {
    const timeouts: DatabaseTimeout[] = [];
    const handle = openDatabase({
      databaseUrl: target.databaseUrl,
      dataDir: target.dataDir,
      timeouts: { statementTimeoutMs: 100 },
      onTimeout: (t) => timeouts.push(t),
    });
    try {
      await expect(sql`select pg_sleep(5)`.execute(handle.db)).rejects.toMatchObject({ code: '57014' });
      expect(timeouts).toEqual([
        {
          kind: 'statement',
          timeoutMs: 100,
          sql: 'select pg_sleep(5)',
          message: 'database statement cancelled after 100 ms (statement timeout)',
        },
      ]);
      // The connection is fine afterwards.
      expect((await sql<{ one: number }>`select 1 as one`.execute(handle.db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await handle.close();
    }
  });

  it('gives up waiting for a pooled connection after the acquire timeout and reports it', async () => {
    const timeouts: DatabaseTimeout[] = [];
    const handle = openDatabase({
      databaseUrl: target.databaseUrl,
      dataDir: target.dataDir,
      poolSize: 1,
      timeouts: { acquireTimeoutMs: 100 },
      onTimeout: (t) => timeouts.push(t),
    });
    try {
      // The pool's one connection is held (as by a leaked transaction); the next query cannot get one.
      await handle.db.connection().execute(async () => {
        await expect(sql`select 1`.execute(handle.db)).rejects.toThrow(/timeout/i);
      });
      expect(timeouts).toEqual([
        {
          kind: 'acquire',
          timeoutMs: 100,
          message: 'no database connection within 100 ms (all 1 pooled connections busy, or the server does not answer)',
        },
      ]);
      expect((await sql<{ one: number }>`select 1 as one`.execute(handle.db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await handle.close();
    }
  });

  it('logs a timeout in the running center as a warning that says what ran out', async () => {
    const tc = await startTestCenter('postgres', { TESSERA_DB_STATEMENT_TIMEOUT_MS: '100' });
    try {
      await expect(sql`select pg_sleep(5)`.execute(tc.center.services.db)).rejects.toMatchObject({ code: '57014' });
      const lines = tc.log.filter((line) => line.includes('statement timeout')).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toEqual([
        expect.objectContaining({
          level: 40,
          msg: 'database statement cancelled after 100 ms (statement timeout)',
          dbTimeout: { kind: 'statement', timeoutMs: 100, sql: 'select pg_sleep(5)' },
        }),
      ]);
    } finally {
      await tc.close();
    }
  });
});
