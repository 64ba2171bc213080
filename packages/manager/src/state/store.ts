/** All SQL of the License Manager. Statements are prepared once; each multi-row change is one transaction. */
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';

export type Awaitable<T> = T | Promise<T>;

/**
 * What the services ask of a store, whichever keeps the state: StateStore (SQLite, one License Manager, answering
 * at once) or PgStore (PostgreSQL shared by replicas, answering promises). Callers await either.
 */
export interface LmStore {
  putLicense(license: StoredLicense): Awaitable<void>;
  recordSync(at: number, ok: boolean, error: string | null): Awaitable<void>;
  addEvent(at: number, kind: string, code: string | null, detail: string): Awaitable<void>;
  pruneEvents(before: number): Awaitable<void>;
  lastNotified(kind: string): Awaitable<number | null>;
  markNotified(kind: string, at: number): Awaitable<void>;
}

export interface StoredLicense {
  source: 'offline' | 'online';
  /** The signed license text (offline key, or the last license an online sync brought). */
  licenseText: string | null;
  onlineKey: string | null;
  licenseId: string | null;
  serial: number | null;
  loadedAt: number;
  lastSyncAt: number | null;
  lastSyncOk: boolean | null;
  lastSyncError: string | null;
}

export interface StoredLease {
  id: string;
  product: string;
  role: string;
  nodeId: string;
  host: string | null;
  /** The SDK connection that holds the lease; null for a lease stored before instances existed (owned by nobody). */
  instance: string | null;
  since: number;
  expiresAt: number;
}

export interface StoredEvent {
  id: number;
  at: number;
  kind: string;
  code: string | null;
  detail: string;
}

interface LicenseRow {
  source: 'offline' | 'online';
  license_text: string | null;
  online_key: string | null;
  license_id: string | null;
  serial: number | null;
  loaded_at: number;
  last_sync_at: number | null;
  last_sync_ok: number | null;
  last_sync_error: string | null;
}
interface LeaseRow {
  id: string;
  product: string;
  role: string;
  node_id: string;
  host: string | null;
  instance: string | null;
  since: number;
  expires_at: number;
}

export class StateStore implements LmStore {
  private readonly statements: {
    getLicense: Statement<[], LicenseRow>;
    putLicense: Statement<[LicenseRow]>;
    recordSync: Statement<[number, number, string | null]>;
    listLeases: Statement<[], LeaseRow>;
    upsertLease: Statement<[LeaseRow]>;
    renewLease: Statement<[number, string]>;
    deleteLease: Statement<[string]>;
    deleteExpired: Statement<[number]>;
    legacyClock: Statement<[], { high_water: number }>;
    clearLegacyClock: Statement<[]>;
    addEvent: Statement<[number, string, string | null, string]>;
    recentEvents: Statement<[number], StoredEvent>;
    pruneEvents: Statement<[number]>;
    lastNotified: Statement<[string], { last_sent_at: number }>;
    markNotified: Statement<[string, number]>;
  };

  /** One transaction wrapper, made once: better-sqlite3 builds a new one on every db.transaction() call. */
  private readonly inTransaction: (work: () => unknown) => unknown;

  constructor(readonly db: SqliteDatabase) {
    this.inTransaction = db.transaction((work: () => unknown) => work());
    this.statements = {
      getLicense: db.prepare('SELECT * FROM license WHERE id = 1'),
      putLicense: db.prepare(
        `INSERT INTO license (id, source, license_text, online_key, license_id, serial, loaded_at, last_sync_at, last_sync_ok, last_sync_error)
         VALUES (1, @source, @license_text, @online_key, @license_id, @serial, @loaded_at, @last_sync_at, @last_sync_ok, @last_sync_error)
         ON CONFLICT (id) DO UPDATE SET source = excluded.source, license_text = excluded.license_text, online_key = excluded.online_key,
           license_id = excluded.license_id, serial = excluded.serial, loaded_at = excluded.loaded_at, last_sync_at = excluded.last_sync_at,
           last_sync_ok = excluded.last_sync_ok, last_sync_error = excluded.last_sync_error`,
      ),
      recordSync: db.prepare('UPDATE license SET last_sync_at = ?, last_sync_ok = ?, last_sync_error = ? WHERE id = 1'),
      listLeases: db.prepare('SELECT * FROM leases'),
      upsertLease: db.prepare(
        `INSERT INTO leases (id, product, role, node_id, host, instance, since, expires_at)
         VALUES (@id, @product, @role, @node_id, @host, @instance, @since, @expires_at)
         ON CONFLICT (id) DO UPDATE SET host = excluded.host, expires_at = excluded.expires_at`,
      ),
      renewLease: db.prepare('UPDATE leases SET expires_at = ? WHERE id = ?'),
      deleteLease: db.prepare('DELETE FROM leases WHERE id = ?'),
      deleteExpired: db.prepare('DELETE FROM leases WHERE expires_at <= ?'),
      legacyClock: db.prepare('SELECT high_water FROM clock WHERE id = 1'),
      clearLegacyClock: db.prepare('DELETE FROM clock'),
      addEvent: db.prepare('INSERT INTO events (at, kind, code, detail) VALUES (?, ?, ?, ?)'),
      recentEvents: db.prepare('SELECT id, at, kind, code, detail FROM events ORDER BY id DESC LIMIT ?'),
      pruneEvents: db.prepare('DELETE FROM events WHERE at < ?'),
      lastNotified: db.prepare('SELECT last_sent_at FROM notifications WHERE kind = ?'),
      markNotified: db.prepare(
        'INSERT INTO notifications (kind, last_sent_at) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET last_sent_at = excluded.last_sent_at',
      ),
    };
  }

  getLicense(): StoredLicense | null {
    const row = this.statements.getLicense.get();
    if (!row) return null;
    return {
      source: row.source,
      licenseText: row.license_text,
      onlineKey: row.online_key,
      licenseId: row.license_id,
      serial: row.serial,
      loadedAt: row.loaded_at,
      lastSyncAt: row.last_sync_at,
      lastSyncOk: row.last_sync_ok === null ? null : row.last_sync_ok === 1,
      lastSyncError: row.last_sync_error,
    };
  }

  /** Replaces the license; with a full WAL checkpoint, because a loaded key is what a person would not want to redo. */
  putLicense(license: StoredLicense): void {
    this.statements.putLicense.run({
      source: license.source,
      license_text: license.licenseText,
      online_key: license.onlineKey,
      license_id: license.licenseId,
      serial: license.serial,
      loaded_at: license.loadedAt,
      last_sync_at: license.lastSyncAt,
      last_sync_ok: license.lastSyncOk === null ? null : license.lastSyncOk ? 1 : 0,
      last_sync_error: license.lastSyncError,
    });
    this.db.pragma('wal_checkpoint(FULL)');
  }

  recordSync(at: number, ok: boolean, error: string | null): void {
    this.statements.recordSync.run(at, ok ? 1 : 0, error);
  }

  listLeases(): StoredLease[] {
    return this.statements.listLeases.all().map((row) => ({
      id: row.id,
      product: row.product,
      role: row.role,
      nodeId: row.node_id,
      host: row.host,
      instance: row.instance,
      since: row.since,
      expiresAt: row.expires_at,
    }));
  }

  putLease(lease: StoredLease): void {
    this.statements.upsertLease.run({
      id: lease.id,
      product: lease.product,
      role: lease.role,
      node_id: lease.nodeId,
      host: lease.host,
      instance: lease.instance,
      since: lease.since,
      expires_at: lease.expiresAt,
    });
  }

  renewLease(id: string, expiresAt: number): void {
    this.statements.renewLease.run(expiresAt, id);
  }

  deleteLease(id: string): void {
    this.statements.deleteLease.run(id);
  }

  deleteExpiredLeases(now: number): number {
    return this.statements.deleteExpired.run(now).changes;
  }

  /**
   * What a release before identity.seal kept here: its clock row (written at its first start, so its presence marks
   * such a data path) and the serial of its license. Null when there is no clock row.
   */
  legacyGuards(): { highWater: number; license: { id: string; serial: number } | null } | null {
    const clock = this.statements.legacyClock.get();
    if (!clock) return null;
    const license = this.statements.getLicense.get();
    const held = license?.license_id && license.serial ? { id: license.license_id, serial: license.serial } : null;
    return { highWater: clock.high_water, license: held };
  }

  /** The clock row moved into identity.seal; removed so its presence keeps meaning "not carried over yet". */
  clearLegacyClock(): void {
    this.statements.clearLegacyClock.run();
  }

  addEvent(at: number, kind: string, code: string | null, detail: string): void {
    this.statements.addEvent.run(at, kind, code, detail);
  }

  recentEvents(limit: number): StoredEvent[] {
    return this.statements.recentEvents.all(limit);
  }

  pruneEvents(before: number): void {
    this.statements.pruneEvents.run(before);
  }

  lastNotified(kind: string): number | null {
    return this.statements.lastNotified.get(kind)?.last_sent_at ?? null;
  }

  markNotified(kind: string, at: number): void {
    this.statements.markNotified.run(kind, at);
  }

  transaction<T>(work: () => T): T {
    return this.inTransaction(work) as T;
  }

  close(): void {
    this.db.close();
  }
}
