/**
 * Where a License Manager's state is, opened at start: one License Manager keeps it under its data path (SQLite
 * state.db, identity.key, identity.seal; here), replicas keep it in a shared PostgreSQL database (ha/open.ts).
 * Either way the daemon gets the same parts: the store, the identity, the guards sealed with it and the trust they
 * hold.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrustRoots } from '@tessera/core';
import type { Code } from '@tessera/core';
import type { LmConfig } from './config.js';
import { hostFingerprint, loadAdminToken, openIdentity } from './identity.js';
import type { LmIdentity, OpenedIdentity } from './identity.js';
import type { ReplicaSet } from './ha/replicas.js';
import { Guards } from './services/guards.js';
import { TrustService } from './services/trust.js';
import { openStateDb } from './state/db.js';
import type { PgStore } from './state/pg-store.js';
import { StateStore } from './state/store.js';
import type { LmStore, StoredLicense } from './state/store.js';

/** A start-up problem a person must fix (config, trust bundle, data path); the CLI prints it without a trace. */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly code: Code = 'BAD_REQUEST',
  ) {
    super(message);
  }
}

export interface OpenedState {
  store: LmStore;
  identity: LmIdentity;
  guards: Guards;
  trust: TrustService;
  /** For the log, once. */
  warnings: string[];
  adminToken: string;
  initialLicense: StoredLicense | null;
  /** The single License Manager's SQLite store (its seats are served from memory over it); null for replicas. */
  single: StateStore | null;
  /** Replicas: the shared database and this replica in it; null for one License Manager. */
  shared: { store: PgStore; replicas: ReplicaSet; location: string; licenseVersion: number | null } | null;
  close(): Promise<void>;
}

/** Written into a data path moved into a database (tessera-lm ha-import), so it is never started again by mistake. */
export const MOVED_FILE = 'moved-to-database';

/** One License Manager: the state under the data path. */
export function openSingle(config: LmConfig, fingerprintOverride: string | undefined, trustText: string): OpenedState {
  const moved = readMoved(config.dataPath);
  if (moved) {
    throw new StartupError(
      `The data path ${config.dataPath} was moved into a shared database (${moved}). Start the replicas on that database instead: starting this copy too would run a second License Manager with the same LMID. Remove ${join(config.dataPath, MOVED_FILE)} only if the database copy is gone for good.`,
    );
  }
  const store = new StateStore(openStateDb(join(config.dataPath, 'state.db')));
  try {
    const fingerprint = fingerprintOverride ?? hostFingerprint(config.fingerprint, config.dataPath)!;
    const { opened, guards, trust, warnings } = openGuarded(config, fingerprint, store, trustText);
    return {
      store,
      identity: opened.identity,
      guards,
      trust,
      warnings,
      adminToken: loadAdminToken(config.dataPath),
      initialLicense: store.getLicense(),
      single: store,
      shared: null,
      close: async () => store.close(),
    };
  } catch (error) {
    store.close();
    throw error;
  }
}

function readMoved(dataPath: string): string | null {
  const file = join(dataPath, MOVED_FILE);
  if (!existsSync(file)) return null;
  return readFileSync(file, 'utf8').trim() || 'see the file';
}

/**
 * The identity, the guards sealed with it, and the trust they hold, in the order that keeps a crash harmless: the
 * seal is written before a new identity key, and state.db's clock row is cleared only once it is in the seal.
 */
function openGuarded(config: LmConfig, fingerprint: string, store: StateStore, trustText: string) {
  let opened: OpenedIdentity;
  try {
    opened = openIdentity(config.dataPath, fingerprint);
  } catch (error) {
    throw new StartupError((error as Error).message, 'MALFORMED');
  }
  const guards = Guards.open(config.dataPath, opened.sealKey, opened.existed, opened.existed ? store.legacyGuards() : null);
  if (!guards.ok) throw new StartupError(guards.detail, guards.code);
  store.clearLegacyClock();
  opened.save();
  const { trust, warnings } = openTrust(config, trustText, guards.value);
  return { opened, guards: guards.value, trust, warnings };
}

/** The trust the guards hold with the trust file and the pinned roots (both kinds of state). */
export function openTrust(config: LmConfig, trustText: string, guards: Guards): { trust: TrustService; warnings: string[] } {
  const pinned = config.trustRoots ? parseTrustRoots(config.trustRoots) : null;
  if (pinned && !pinned.ok) throw new StartupError(`trustRoot: ${pinned.detail}`, pinned.code);
  const trust = TrustService.open(trustText, config.trustPath, pinned?.value ?? null, guards);
  if (!trust.ok) throw new StartupError(trust.detail, trust.code);
  return trust.value;
}
