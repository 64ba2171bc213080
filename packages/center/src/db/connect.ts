/**
 * One database handle for the License Center: embedded SQLite under the data directory by default, PostgreSQL
 * when DATABASE_URL is a postgres:// URL. Many LC processes may share one PostgreSQL database.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import pg from 'pg';
import type { DatabaseTimeouts } from '../config.js';
import type { Database } from './schema.js';
import { statementsFor } from './dialects/index.js';
import type { Dialect, DialectStatements } from './dialects/index.js';

export type { Dialect, DialectStatements } from './dialects/index.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The statements whose SQL differs by dialect (dialects/), for the services. */
  statements: DialectStatements;
  /** Where the data is, for messages: a file path or the URL without its password. */
  location: string;
  /** The connections now: how many may be open, are open, are idle, and how many callers wait for one. */
  poolUse(): PoolUse;
  close(): Promise<void>;
}

// PostgreSQL returns bigint (int8) as text by default; every bigint here is an epoch-ms time or a count that
// fits in a double, so read them as numbers.
pg.types.setTypeParser(20, (value) => Number(value));

/** A wait on the database that ran out, for the log: a stall must show as a timeout, never as silence. */
export interface PoolUse {
  max: number;
  open: number;
  idle: number;
  waiting: number;
}

export interface DatabaseTimeout {
  /** acquire: no pooled connection in time (PostgreSQL); statement: cancelled by statement_timeout (PostgreSQL); lock: SQLite's write lock. */
  kind: 'acquire' | 'statement' | 'lock';
  timeoutMs: number;
  /** The statement's SQL (parameters are never part of it), cut short. */
  sql?: string;
  message: string;
}

export interface OpenDatabaseOptions {
  databaseUrl: string | null;
  dataDir: string;
  poolSize?: number;
  timeouts?: Partial<DatabaseTimeouts>;
  onPoolError?: (error: Error) => void;
  onTimeout?: (timeout: DatabaseTimeout) => void;
}

const DEFAULT_TIMEOUTS: DatabaseTimeouts = { acquireTimeoutMs: 10_000, statementTimeoutMs: 30_000 };

export function openDatabase(options: OpenDatabaseOptions): DatabaseHandle {
  const url = options.databaseUrl;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const onTimeout = options.onTimeout ?? (() => {});
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const max = options.poolSize ?? 10;
    const pool = new pg.Pool({
      connectionString: url,
      max,
      // Without these a leaked or stuck connection stalls every later query silently.
      connectionTimeoutMillis: timeouts.acquireTimeoutMs,
      statement_timeout: timeouts.statementTimeoutMs,
      // A transaction left open by a bug must not hold its locks (the audit head, a job claim) forever.
      idle_in_transaction_session_timeout: Math.max(60_000, 2 * timeouts.statementTimeoutMs),
    });
    // An idle connection the server closed (a restart, a failover) is dropped and replaced by the pool; without
    // a listener that event would end the process.
    pool.on('error', (error) => options.onPoolError?.(error));
    const timedPool = {
      async connect() {
        try {
          return await pool.connect();
        } catch (error) {
          if (/timeout/i.test((error as Error).message))
            onTimeout({
              kind: 'acquire',
              timeoutMs: timeouts.acquireTimeoutMs,
              message: `no database connection within ${timeouts.acquireTimeoutMs} ms (all ${max} pooled connections busy, or the server does not answer)`,
            });
          throw error;
        }
      },
      end: () => pool.end(),
    };
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: timedPool }),
      log: (event) => {
        // 57014 query_canceled: here only statement_timeout cancels statements.
        if (event.level === 'error' && (event.error as { code?: unknown })?.code === '57014')
          onTimeout({
            kind: 'statement',
            timeoutMs: timeouts.statementTimeoutMs,
            sql: event.query.sql.slice(0, 200),
            message: `database statement cancelled after ${timeouts.statementTimeoutMs} ms (statement timeout)`,
          });
      },
    });
    return {
      db,
      dialect: 'postgres',
      statements: statementsFor('postgres'),
      poolUse: () => ({ max, open: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      location: url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@'),
      close: () => db.destroy(),
    };
  }
  if (url && !url.startsWith('sqlite:')) {
    throw new Error(`DATABASE_URL must be a postgres:// URL (or unset for the embedded SQLite database); got "${url.split(':')[0]}:...".`);
  }
  const file = url ? url.slice('sqlite:'.length) : join(options.dataDir, 'tessera.db');
  if (!url) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const sqlite = new Sqlite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a committed change survives a power cut as well as kill -9; LC writes are people's actions, not a hot path.
  sqlite.pragma('synchronous = FULL');
  // How long a writer waits for another process's write lock (SQLite has no statement timeout: a statement runs
  // synchronously to its end).
  sqlite.pragma(`busy_timeout = ${timeouts.acquireTimeoutMs}`);
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    log: (event) => {
      if (event.level === 'error' && /^SQLITE_BUSY/.test(String((event.error as { code?: unknown })?.code)))
        onTimeout({
          kind: 'lock',
          timeoutMs: timeouts.acquireTimeoutMs,
          sql: event.query.sql.slice(0, 200),
          message: `the database's write lock was not free within ${timeouts.acquireTimeoutMs} ms (another process holds it)`,
        });
    },
  });
  return {
    db,
    dialect: 'sqlite',
    statements: statementsFor('sqlite'),
    // One connection, used by one statement at a time (better-sqlite3 is synchronous): never idle-waiting.
    poolUse: () => ({ max: 1, open: 1, idle: 1, waiting: 0 }),
    location: file,
    close: () => db.destroy(),
  };
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew, and preparing costs SQLite more than running a small indexed query (~17 µs
 * against a few µs). LC's queries are a fixed set of shapes, so the prepared statements are kept, most recently
 * used last. Reuse is safe: better-sqlite3 runs a statement to completion synchronously (nothing here streams).
 */
function withStatementCache(sqlite: Sqlite.Database): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql);
      } else {
        statement = sqlite.prepare(sql) as unknown as SqliteStatement;
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}
