/**
 * The License Manager's SQLite state under dataPath. WAL with synchronous=NORMAL: every commit is in the WAL
 * before the call returns, so a killed process (kill -9) loses nothing committed, and seat traffic is not paced
 * by fsync; a power cut may lose the last commits but never corrupts the file. Loading a key checkpoints with a
 * full sync, because that is the write a person would not want to redo.
 */
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { chmodSync, existsSync } from 'node:fs';

const MIGRATIONS: string[] = [
  `CREATE TABLE license (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     source TEXT NOT NULL CHECK (source IN ('offline', 'online')),
     license_text TEXT,
     online_key TEXT,
     license_id TEXT,
     serial INTEGER,
     loaded_at INTEGER NOT NULL,
     last_sync_at INTEGER,
     last_sync_ok INTEGER,
     last_sync_error TEXT
   );
   CREATE TABLE leases (
     id TEXT PRIMARY KEY,
     product TEXT NOT NULL,
     role TEXT NOT NULL,
     node_id TEXT NOT NULL,
     host TEXT,
     since INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     UNIQUE (product, role, node_id)
   );
   CREATE TABLE clock (id INTEGER PRIMARY KEY CHECK (id = 1), high_water INTEGER NOT NULL);
   CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     kind TEXT NOT NULL,
     code TEXT,
     detail TEXT NOT NULL
   );
   CREATE TABLE notifications (kind TEXT PRIMARY KEY, last_sent_at INTEGER NOT NULL);`,
  // The process (the SDK connection's random instance id) a lease belongs to. Leases from before have none: they
  // belong to no process, so no checkout can take them over, and they end when their lease runs out.
  `ALTER TABLE leases ADD COLUMN instance TEXT;`,
];

export function openStateDb(file: string): SqliteDatabase {
  const fresh = file !== ':memory:' && !existsSync(file);
  const db = new Database(file);
  if (fresh) chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: SqliteDatabase): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
