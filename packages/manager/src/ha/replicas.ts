/**
 * This process as one replica of a License Manager whose state is a shared PostgreSQL database. Every tick (a
 * second) it writes its row (what `tessera-lm info` lists, live when seen within REPLICA_LIVE_MS), takes in what
 * another replica changed (the license row, the sealed state), recounts the seats now and then, and runs the online
 * sync when it is due and no other replica is running it. The sync runs under a lease row (tessera_lm_sync_leader)
 * taken for the sync's duration and given back after; a replica that dies holding it loses it when it runs out.
 */
import { hostname } from 'node:os';
import type { Clock, ReplicaInfo } from '@tessera/core';
import type { SharedSeats } from '../leases/shared-seats.js';
import type { Guards } from '../services/guards.js';
import type { LicenseService } from '../services/license.js';
import type { PgStore, ReplicaRow } from '../state/pg-store.js';
import { LM_VERSION } from '../version.js';
import type { SharedSeal } from './shared-seal.js';

export const REPLICA_TICK_MS = 1000;
/** A replica not seen for this long is listed as not live (it was killed, or cannot reach the database). */
export const REPLICA_LIVE_MS = 10_000;
const COUNT_EVERY_TICKS = 2;
const PRUNE_AFTER_MS = 86_400_000;
const FIRST_SYNC_GRACE_MS = 60_000;

export type ReplicaView = ReplicaInfo;

export interface ReplicaSetOptions {
  /** This replica's id (random per start: a restarted replica is a new one). */
  id: string;
  store: PgStore;
  clock: Clock;
  guards: Guards;
  seal: SharedSeal;
  /** Minutes between online syncs (config syncIntervalMinutes). */
  syncIntervalMs: number;
  /** How long a sync may hold the lease: a replica that dies mid-sync frees it after this. */
  syncLeaseMs: number;
  onError: (error: unknown) => void;
}

export class ReplicaSet {
  readonly id: string;
  private row: ReplicaRow | null = null;
  private versions: { license: number | null; sealed: number | null } = { license: null, sealed: null };
  private ticks = 0;
  private rows: ReplicaRow[] = [];
  private leader: string | null = null;
  private license: LicenseService | null = null;
  private seats: SharedSeats | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: ReplicaSetOptions) {
    this.id = options.id;
  }

  /** The services it keeps in step; set once they are built (they need the sync lock first). */
  attach(license: LicenseService, seats: SharedSeats): void {
    this.license = license;
    this.seats = seats;
  }

  /** Writes this replica's row; the license version read at start is the one held already. */
  async register(port: number, licenseVersion: number | null): Promise<void> {
    const now = this.options.clock.now();
    this.row = { id: this.id, hostname: hostname(), pid: process.pid, port, version: LM_VERSION, startedAt: now, lastSeenAt: now };
    this.versions.license = licenseVersion;
    await this.options.store.putReplica(this.row);
    await this.tick();
  }

  /** One tick; ticks never overlap (a slow database makes them later, not concurrent). */
  tick(): Promise<void> {
    this.running ??= this.tickOnce()
      .catch((error: unknown) => this.options.onError(error))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async tickOnce(): Promise<void> {
    const { store, clock } = this.options;
    const now = clock.now();
    if (this.row) await store.putReplica({ ...this.row, lastSeenAt: now });
    const versions = await store.versions();
    if (versions.license !== this.versions.license && this.license) {
      const row = await store.getLicense();
      if (this.license.adoptStored(row?.license ?? null)) this.versions.license = row?.version ?? null;
    }
    if (versions.sealed !== this.versions.sealed || this.ticks % 10 === 0) {
      await this.options.seal.refresh(this.options.guards);
      this.versions.sealed = versions.sealed;
    }
    if (this.ticks % COUNT_EVERY_TICKS === 0) await this.seats?.refreshCounts();
    this.rows = await store.listReplicas();
    this.leader = (await store.syncLeader())?.replica ?? null;
    if (this.ticks % 3600 === 0) await store.pruneReplicas(now - PRUNE_AFTER_MS);
    this.ticks++;
    // Claimed here on the database's word that the last sync is an interval old (another replica may just have
    // run it); LicenseService claims again (it is this replica's already) and gives the lease back after.
    const due = now - this.options.syncIntervalMs;
    if (this.syncDue(due) && (await store.claimSyncLeader(this.id, now, now + this.options.syncLeaseMs, due + 1))) {
      void this.license!.sync();
    }
  }

  /**
   * Online, and the last sync (by any replica, as last read) is an interval ago. A key never synced is the loading
   * replica's to sync (load syncs at once); the others take it over only if that has not happened within a minute.
   */
  private syncDue(due: number): boolean {
    const stored = this.license?.storedLicense;
    if (stored?.source !== 'online') return false;
    if (stored.lastSyncAt === null) return stored.loadedAt <= due + this.options.syncIntervalMs - FIRST_SYNC_GRACE_MS;
    return stored.lastSyncAt <= due;
  }

  /** The lock LicenseService takes around a sync. */
  readonly syncLock = {
    acquire: async (): Promise<boolean> => {
      const now = this.options.clock.now();
      const held = await this.options.store.claimSyncLeader(this.id, now, now + this.options.syncLeaseMs);
      if (!held) this.leader = (await this.options.store.syncLeader())?.replica ?? this.leader;
      else this.leader = this.id;
      return held;
    },
    release: async (): Promise<void> => {
      await this.options.store.releaseSyncLeader(this.id).catch((error: unknown) => this.options.onError(error));
    },
    holder: (): string => this.describe(this.leader),
  };

  /** The replicas as last read (at most a tick old), for info and the console. */
  views(): ReplicaView[] {
    const now = this.options.clock.now();
    return this.rows.map((row) => ({
      id: row.id,
      hostname: row.hostname,
      port: row.port,
      version: row.version,
      startedAt: new Date(row.startedAt).toISOString(),
      lastSeenAt: new Date(row.lastSeenAt).toISOString(),
      live: now - row.lastSeenAt < REPLICA_LIVE_MS,
      self: row.id === this.id,
      syncs: row.id === this.leader,
    }));
  }

  /** Stops: the row goes (a clean stop is not a dead replica), and the sync lease with it. */
  async close(): Promise<void> {
    await this.running;
    await this.options.store.deleteReplica(this.id).catch(() => {});
    await this.syncLock.release();
  }

  private describe(id: string | null): string {
    const row = this.rows.find((r) => r.id === id);
    return row ? `${row.id} on ${row.hostname}:${row.port}` : (id ?? 'unknown');
  }
}
