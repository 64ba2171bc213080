/**
 * All SQL of License Manager replicas sharing one PostgreSQL database: the PostgreSQL twin of store.ts, with the
 * same records. Statements are named, so each connection prepares each one once. What must hold across replicas
 * is held by the database: a role's seats are counted and granted under a transaction-scoped advisory lock per
 * role (seatTransaction), the sealed state is changed under a row lock (updateSealed), and a lease is renewed
 * only while it is still live (renew statements), so no replica brings back a seat another one freed.
 */
import type pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import { LOCK_CLASS } from './pg-schema.js';
import type { StoredEvent, StoredLease, StoredLicense } from './store.js';

export interface InstallationRow {
  installationId: string;
  /** base64url fingerprint digest the LMID derives from (the host of a single LM moved here keeps its own). */
  hostDigest: string;
  publicKey: string;
  /** The identity seed, encrypted under the HA secret (ha/identity.ts). */
  sealedSeed: string;
  origin: 'new' | 'imported';
  createdAt: number;
}

export interface ReplicaRow {
  id: string;
  hostname: string;
  pid: number;
  port: number;
  version: string;
  startedAt: number;
  lastSeenAt: number;
}

/** A license row with the version every write raises, so replicas see that another one changed it. */
export interface VersionedLicense {
  license: StoredLicense;
  version: number;
}

/** What one replica reads every tick to learn that another one changed the license or the sealed state. */
export interface SharedVersions {
  license: number | null;
  sealed: number | null;
}

/** The statements of a seat transaction, run under its role's lock (a batch of checkouts of one role). */
export interface SeatTransaction {
  /** The leases of these node ids (live or run out), by node id, and the role's live leases. */
  state(nodeIds: string[], now: number): Promise<{ existing: Map<string, StoredLease>; live: number }>;
  /** Inserts the leases, each replacing the run-out lease of the same node id if there is one. */
  insert(leases: StoredLease[]): Promise<void>;
  extend(leases: StoredLease[]): Promise<void>;
}

const S = {
  getInstallation:
    'SELECT installation_id, host_digest, public_key, sealed_seed, origin, created_at FROM tessera_lm_installation WHERE id = 1',
  insertInstallation: `INSERT INTO tessera_lm_installation (id, installation_id, host_digest, public_key, sealed_seed, origin, created_at)
     VALUES (1, $1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id`,
  insertSealed: 'INSERT INTO tessera_lm_sealed (id, sealed, version) VALUES (1, $1, 1)',
  getSealed: 'SELECT sealed FROM tessera_lm_sealed WHERE id = 1',
  lockSealed: 'SELECT sealed FROM tessera_lm_sealed WHERE id = 1 FOR UPDATE',
  putSealed: `INSERT INTO tessera_lm_sealed (id, sealed, version) VALUES (1, $1, 1)
     ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed, version = tessera_lm_sealed.version + 1`,
  versions:
    'SELECT (SELECT version FROM tessera_lm_license WHERE id = 1) AS license, (SELECT version FROM tessera_lm_sealed WHERE id = 1) AS sealed',
  getLicense: 'SELECT * FROM tessera_lm_license WHERE id = 1',
  putLicense: `INSERT INTO tessera_lm_license (id, source, license_text, online_key, license_id, serial, loaded_at, last_sync_at, last_sync_ok, last_sync_error, version)
     VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, 1)
     ON CONFLICT (id) DO UPDATE SET source = excluded.source, license_text = excluded.license_text, online_key = excluded.online_key,
       license_id = excluded.license_id, serial = excluded.serial, loaded_at = excluded.loaded_at, last_sync_at = excluded.last_sync_at,
       last_sync_ok = excluded.last_sync_ok, last_sync_error = excluded.last_sync_error, version = tessera_lm_license.version + 1`,
  recordSync:
    'UPDATE tessera_lm_license SET last_sync_at = $1, last_sync_ok = $2, last_sync_error = $3, version = version + 1 WHERE id = 1',
  seatState: `SELECT (SELECT json_agg(l) FROM tessera_lm_leases l WHERE l.product = $1 AND l.role = $2 AND l.node_id = ANY($3::text[])) AS existing,
       (SELECT count(*) FROM tessera_lm_leases WHERE product = $1 AND role = $2 AND expires_at > $4) AS live`,
  insertLease: `INSERT INTO tessera_lm_leases (id, product, role, node_id, host, instance, since, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (product, role, node_id) DO UPDATE SET id = excluded.id, host = excluded.host, instance = excluded.instance,
       since = excluded.since, expires_at = excluded.expires_at`,
  insertLeases: `INSERT INTO tessera_lm_leases (id, product, role, node_id, host, instance, since, expires_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])
     ON CONFLICT (product, role, node_id) DO UPDATE SET id = excluded.id, host = excluded.host, instance = excluded.instance,
       since = excluded.since, expires_at = excluded.expires_at`,
  extendLeases: `UPDATE tessera_lm_leases l SET expires_at = v.expires_at, host = v.host
     FROM unnest($1::text[], $2::bigint[], $3::text[]) AS v(id, expires_at, host) WHERE l.id = v.id`,
  renewLease: `UPDATE tessera_lm_leases l SET expires_at = GREATEST(l.expires_at, $4) FROM unnest($1::text[], $2::text[]) AS v(id, instance)
     WHERE l.id = v.id AND l.instance = v.instance AND l.product = $3 AND l.expires_at > $5 RETURNING l.*`,
  renewLeases: `UPDATE tessera_lm_leases l SET expires_at = v.expires_at
     FROM unnest($1::text[], $2::bigint[], $4::text[], $5::text[], $6::text[], $7::text[]) AS v(id, expires_at, product, role, node_id, instance)
     WHERE l.id = v.id AND l.product = v.product AND l.role = v.role AND l.node_id = v.node_id AND l.instance = v.instance
       AND l.expires_at > $3 AND l.expires_at < v.expires_at RETURNING l.id`,
  liveLease: 'SELECT * FROM tessera_lm_leases WHERE id = $1 AND instance = $2 AND expires_at > $3',
  releaseLease: 'DELETE FROM tessera_lm_leases WHERE id = $1 AND instance = $2 RETURNING id',
  deleteExpired: 'DELETE FROM tessera_lm_leases WHERE expires_at <= $1',
  liveLeases: 'SELECT * FROM tessera_lm_leases WHERE expires_at > $1 ORDER BY role, since, id',
  liveCounts: 'SELECT product, role, count(*) AS used FROM tessera_lm_leases WHERE expires_at > $1 GROUP BY product, role',
  olderLive: `SELECT count(*) AS older FROM tessera_lm_leases WHERE product = $1 AND role = $2 AND expires_at > $3 AND id <> $5
     AND (since < $4 OR (since = $4 AND id < $5))`,
  addEvent: 'INSERT INTO tessera_lm_events (at, kind, code, detail, replica) VALUES ($1, $2, $3, $4, $5)',
  recentEvents: 'SELECT id, at, kind, code, detail FROM tessera_lm_events ORDER BY id DESC LIMIT $1',
  pruneEvents: 'DELETE FROM tessera_lm_events WHERE at < $1',
  lastNotified: 'SELECT last_sent_at FROM tessera_lm_notifications WHERE kind = $1',
  markNotified: `INSERT INTO tessera_lm_notifications (kind, last_sent_at) VALUES ($1, $2)
     ON CONFLICT (kind) DO UPDATE SET last_sent_at = excluded.last_sent_at`,
  putReplica: `INSERT INTO tessera_lm_replicas (id, hostname, pid, port, version, started_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
  listReplicas: 'SELECT * FROM tessera_lm_replicas ORDER BY started_at, id',
  deleteReplica: 'DELETE FROM tessera_lm_replicas WHERE id = $1',
  pruneReplicas: 'DELETE FROM tessera_lm_replicas WHERE last_seen_at < $1',
  claimSyncLeader: `INSERT INTO tessera_lm_sync_leader (id, replica, until) VALUES (1, $1, $3)
     ON CONFLICT (id) DO UPDATE SET replica = excluded.replica, until = excluded.until
     WHERE (tessera_lm_sync_leader.replica = excluded.replica OR tessera_lm_sync_leader.until <= $2)
       AND ($4::bigint IS NULL OR COALESCE((SELECT last_sync_at FROM tessera_lm_license WHERE id = 1), -1) < $4)
     RETURNING replica`,
  syncLeader: 'SELECT replica, until FROM tessera_lm_sync_leader WHERE id = 1',
  releaseSyncLeader: 'UPDATE tessera_lm_sync_leader SET until = 0 WHERE replica = $1',
} as const;

type Name = keyof typeof S;
type Runner = Pick<pg.Pool, 'query'> | PoolClient;

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

export class PgStore {
  /** `replica`: the id events written by this process are marked with. */
  constructor(
    readonly pool: pg.Pool,
    private readonly replica: string | null = null,
  ) {}

  // -- identity and sealed state ------------------------------------------------------------------------------

  async getInstallation(): Promise<InstallationRow | null> {
    const row = (await this.run('getInstallation', []))[0];
    return row ? installationOf(row) : null;
  }

  /**
   * Writes a new installation with its first sealed state, unless one exists (another replica won the race):
   * answers the installation that is there.
   */
  async createInstallation(installation: InstallationRow, sealed: string): Promise<InstallationRow> {
    const created = await this.transaction(async (client) => {
      const inserted = await this.run('insertInstallation', installationValues(installation), client);
      if (inserted.length > 0) await this.run('insertSealed', [sealed], client);
      return inserted.length > 0;
    });
    if (created) return installation;
    return (await this.getInstallation())!;
  }

  async getSealed(): Promise<string | null> {
    return ((await this.run('getSealed', []))[0]?.sealed as string | undefined) ?? null;
  }

  /** Replaces the sealed state with change(the current text) under a row lock: replicas never lose each other's writes. */
  async updateSealed(change: (current: string | null) => string): Promise<string> {
    return this.transaction(async (client) => {
      const current = ((await this.run('lockSealed', [], client))[0]?.sealed as string | undefined) ?? null;
      const next = change(current);
      if (next !== current) await this.run('putSealed', [next], client);
      return next;
    });
  }

  async versions(): Promise<SharedVersions> {
    const row = (await this.run('versions', []))[0]!;
    return { license: (row.license as number | null) ?? null, sealed: (row.sealed as number | null) ?? null };
  }

  // -- license ------------------------------------------------------------------------------------------------

  async getLicense(): Promise<VersionedLicense | null> {
    const row = (await this.run('getLicense', []))[0];
    if (!row) return null;
    return {
      version: row.version as number,
      license: {
        source: row.source as 'offline' | 'online',
        licenseText: row.license_text as string | null,
        onlineKey: row.online_key as string | null,
        licenseId: row.license_id as string | null,
        serial: row.serial as number | null,
        loadedAt: row.loaded_at as number,
        lastSyncAt: row.last_sync_at as number | null,
        lastSyncOk: row.last_sync_ok as boolean | null,
        lastSyncError: row.last_sync_error as string | null,
      },
    };
  }

  async putLicense(license: StoredLicense, client?: PoolClient): Promise<void> {
    const l = license;
    await this.run(
      'putLicense',
      [l.source, l.licenseText, l.onlineKey, l.licenseId, l.serial, l.loadedAt, l.lastSyncAt, l.lastSyncOk, l.lastSyncError],
      client,
    );
  }

  async recordSync(at: number, ok: boolean, error: string | null): Promise<void> {
    await this.run('recordSync', [at, ok, error]);
  }

  // -- seats --------------------------------------------------------------------------------------------------

  /**
   * Runs `work` in a transaction holding the advisory lock of (product, role): checkouts of a role at every replica
   * take turns here, so the count a checkout reads cannot change before its lease is written. The lock is the
   * transaction's, so it ends with it, also when the replica dies (the server ends its session).
   */
  async seatTransaction<T>(product: string, role: string, work: (tx: SeatTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      // One round trip: BEGIN and the lock (two integers made here, never text from a request).
      await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${roleLockId(product, role)})`);
      const tx: SeatTransaction = {
        state: async (nodeIds, now) => {
          const row = (await this.run('seatState', [product, role, nodeIds, now], client))[0]!;
          const existing = new Map(((row.existing as LeaseRow[] | null) ?? []).map((r) => [r.node_id, leaseOf(r)]));
          return { existing, live: row.live as number };
        },
        insert: async (leases) => {
          if (leases.length === 0) return;
          const values = leases.map(leaseValues);
          const columns = values[0]!.map((_, c) => values.map((row) => row[c]));
          await this.run('insertLeases', columns, client);
        },
        extend: async (leases) => {
          if (leases.length === 0) return;
          await this.run('extendLeases', [leases.map((l) => l.id), leases.map((l) => l.expiresAt), leases.map((l) => l.host)], client);
        },
      };
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * One statement for the heartbeats of many leases: extends each live lease of that instance and product to at least
   * expiresAt; answers the leases extended (a lease freed, run out or of another instance is not among them).
   */
  async renewLeasesOf(
    heartbeats: { leaseId: string; instance: string }[],
    product: string,
    now: number,
    expiresAt: number,
  ): Promise<StoredLease[]> {
    const rows = await this.run('renewLease', [
      heartbeats.map((h) => h.leaseId),
      heartbeats.map((h) => h.instance),
      product,
      expiresAt,
      now,
    ]);
    return rows.map((row) => leaseOf(row as LeaseRow));
  }

  /** One statement for many renewals; answers the ids written (a lease freed or run out meanwhile is not brought back). */
  /**
   * Writes renewals made in memory; a row is renewed only while it still is the lease held (same product, role,
   * node and instance), so a row edited in the database (a role renamed to free a seat in the count) is not kept
   * alive from memory: the holder forgets it and its next heartbeat asks the database.
   */
  async renewLeases(
    renewals: Pick<StoredLease, 'id' | 'expiresAt' | 'product' | 'role' | 'nodeId' | 'instance'>[],
    now: number,
  ): Promise<Set<string>> {
    const rows = await this.run('renewLeases', [
      renewals.map((r) => r.id),
      renewals.map((r) => r.expiresAt),
      now,
      renewals.map((r) => r.product),
      renewals.map((r) => r.role),
      renewals.map((r) => r.nodeId),
      renewals.map((r) => r.instance ?? ''),
    ]);
    return new Set(rows.map((row) => row.id as string));
  }

  async liveLease(id: string, instance: string, now: number): Promise<StoredLease | null> {
    const row = (await this.run('liveLease', [id, instance, now]))[0];
    return row ? leaseOf(row as LeaseRow) : null;
  }

  async releaseLease(id: string, instance: string): Promise<boolean> {
    return (await this.run('releaseLease', [id, instance])).length > 0;
  }

  async deleteExpiredLeases(now: number): Promise<void> {
    await this.run('deleteExpired', [now]);
  }

  async liveLeases(now: number): Promise<StoredLease[]> {
    return (await this.run('liveLeases', [now])).map((row) => leaseOf(row as LeaseRow));
  }

  async liveCounts(now: number): Promise<{ product: string; role: string; used: number }[]> {
    return (await this.run('liveCounts', [now])) as { product: string; role: string; used: number }[];
  }

  /** Live leases of the role that are older than this one (since, then id), as the single LM orders them. */
  async olderLiveLeases(lease: StoredLease, now: number): Promise<number> {
    return (await this.run('olderLive', [lease.product, lease.role, now, lease.since, lease.id]))[0]!.older as number;
  }

  // -- events, notifications ----------------------------------------------------------------------------------

  async addEvent(at: number, kind: string, code: string | null, detail: string): Promise<void> {
    await this.run('addEvent', [at, kind, code, detail, this.replica]);
  }

  async recentEvents(limit: number): Promise<StoredEvent[]> {
    return (await this.run('recentEvents', [limit])) as StoredEvent[];
  }

  async pruneEvents(before: number): Promise<void> {
    await this.run('pruneEvents', [before]);
  }

  async lastNotified(kind: string): Promise<number | null> {
    return ((await this.run('lastNotified', [kind]))[0]?.last_sent_at as number | undefined) ?? null;
  }

  async markNotified(kind: string, at: number): Promise<void> {
    await this.run('markNotified', [kind, at]);
  }

  // -- replicas and the sync lease -----------------------------------------------------------------------------

  async putReplica(replica: ReplicaRow): Promise<void> {
    const r = replica;
    await this.run('putReplica', [r.id, r.hostname, r.pid, r.port, r.version, r.startedAt, r.lastSeenAt]);
  }

  async listReplicas(): Promise<ReplicaRow[]> {
    return (await this.run('listReplicas', [])).map((row) => ({
      id: row.id as string,
      hostname: row.hostname as string,
      pid: row.pid as number,
      port: row.port as number,
      version: row.version as string,
      startedAt: row.started_at as number,
      lastSeenAt: row.last_seen_at as number,
    }));
  }

  async deleteReplica(id: string): Promise<void> {
    await this.run('deleteReplica', [id]);
  }

  async pruneReplicas(before: number): Promise<void> {
    await this.run('pruneReplicas', [before]);
  }

  /**
   * Takes or keeps the sync lease until `until`; true when this replica holds it. With `syncedBefore`, only while
   * the last sync (by any replica) is older than that: a scheduled sync another replica has just run is not run again.
   */
  async claimSyncLeader(replica: string, now: number, until: number, syncedBefore: number | null = null): Promise<boolean> {
    return (await this.run('claimSyncLeader', [replica, now, until, syncedBefore])).length > 0;
  }

  async syncLeader(): Promise<{ replica: string; until: number } | null> {
    const row = (await this.run('syncLeader', []))[0];
    return row ? { replica: row.replica as string, until: row.until as number } : null;
  }

  async releaseSyncLeader(replica: string): Promise<void> {
    await this.run('releaseSyncLeader', [replica]);
  }

  // -- moving a single License Manager in (tessera-lm ha-import) ---------------------------------------------

  /** Writes a single LM's installation, seal, license, live leases and events in one transaction; false when the database already has an installation. */
  async importInstallation(data: {
    installation: InstallationRow;
    sealed: string;
    license: StoredLicense | null;
    leases: StoredLease[];
    events: StoredEvent[];
  }): Promise<boolean> {
    return this.transaction(async (client) => {
      if ((await this.run('insertInstallation', installationValues(data.installation), client)).length === 0) return false;
      await this.run('insertSealed', [data.sealed], client);
      if (data.license) await this.putLicense(data.license, client);
      for (const lease of data.leases) await this.run('insertLease', leaseValues(lease), client);
      for (const e of data.events) await this.run('addEvent', [e.at, e.kind, e.code, e.detail, 'imported'], client);
      return true;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async run(name: Name, values: unknown[], client?: Runner): Promise<QueryResultRow[]> {
    const result = await (client ?? this.pool).query({ name: `tessera_lm_${name}`, text: S[name], values });
    return result.rows;
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }
}

/** A 32-bit id for a role's lock (FNV-1a of product and role); two roles sharing one only take turns needlessly. */
export function roleLockId(product: string, role: string): number {
  let hash = 0x811c9dc5;
  for (const char of `${product}\u0000${role}`) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193);
  }
  // Never one of the small fixed lock ids of pg-schema.ts.
  return hash | 0x100 | 0;
}

function installationOf(row: QueryResultRow): InstallationRow {
  return {
    installationId: row.installation_id as string,
    hostDigest: row.host_digest as string,
    publicKey: row.public_key as string,
    sealedSeed: row.sealed_seed as string,
    origin: row.origin as 'new' | 'imported',
    createdAt: row.created_at as number,
  };
}

function installationValues(i: InstallationRow): unknown[] {
  return [i.installationId, i.hostDigest, i.publicKey, i.sealedSeed, i.origin, i.createdAt];
}

function leaseOf(row: LeaseRow): StoredLease {
  return {
    id: row.id,
    product: row.product,
    role: row.role,
    nodeId: row.node_id,
    host: row.host,
    instance: row.instance,
    since: Number(row.since),
    expiresAt: Number(row.expires_at),
  };
}

function leaseValues(l: StoredLease): unknown[] {
  return [l.id, l.product, l.role, l.nodeId, l.host, l.instance, l.since, l.expiresAt];
}
