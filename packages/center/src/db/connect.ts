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
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data is, for messages: a file path or the URL without its password. */
  location: string;
  close(): Promise<void>;
}

// PostgreSQL returns bigint (int8) as text by default; every bigint here is an epoch-ms time or a count that
// fits in a double, so read them as numbers.
pg.types.setTypeParser(20, (value) => Number(value));

export function openDatabase(options: {
  databaseUrl: string | null;
  dataDir: string;
  poolSize?: number;
  onPoolError?: (error: Error) => void;
}): DatabaseHandle {
  const url = options.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
    // An idle connection the server closed (a restart, a failover) is dropped and replaced by the pool; without
    // a listener that event would end the process.
    pool.on('error', (error) => options.onPoolError?.(error));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', location: url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@'), close: () => db.destroy() };
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
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', location: file, close: () => db.destroy() };
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
