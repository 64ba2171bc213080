/**
 * Shared by the lc-* benchmarks (not a benchmark itself): the built License Center binary
 * (packages/center/bin/tessera-center.js serve) as a child process on SQLite or PostgreSQL, the License Center's own
 * services opened in this process on the same database to set data up before the child starts, an LM identity and
 * its signed sync requests, and measured autocannon runs that wait for a quiet machine and repeat a disturbed run.
 *
 * The services are imported from packages/center/src (run by tsx, as the benchmarks are): the package exports
 * only its public entry point, and setting data up with the License Center's own code keeps the rows exactly as it
 * writes them (hashes, signatures, ids). What is measured is the child, the compiled binary.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSyncRequest, deriveLmid, fingerprintDigest, generateEd25519, rawPublicKey } from '@tessera/core';
import type { KeyObject } from '@tessera/core';
import { openDatabase } from '../../../packages/center/src/db/connect.js';
import type { DatabaseHandle, Dialect } from '../../../packages/center/src/db/connect.js';
import { migrateToLatest } from '../../../packages/center/src/db/migrations.js';
import { AuditLog } from '../../../packages/center/src/services/audit/audit.js';
import { Catalogue } from '../../../packages/center/src/services/catalogue/catalogue.js';
import { Licenses } from '../../../packages/center/src/services/licenses/licenses.js';
import { Sessions } from '../../../packages/center/src/services/accounts/sessions.js';
import { SigningKeys } from '../../../packages/center/src/services/trust/signing-keys.js';
import { spawnServer } from './lm-harness.js';
import type { ServerProcess, SpawnOptions } from './lm-harness.js';
import type { PostgresCluster } from './postgres-cluster.js';

export type { Dialect };

export const CENTER_BIN = fileURLToPath(new URL('../../../packages/center/bin/tessera-center.js', import.meta.url));

/** The most TESSERA_SYNC_PER_* accepts (requests a minute): the limiter still runs, it just never says no. */
export const UNLIMITED_PER_MINUTE = '999999999';

// ---------------------------------------------------------------------------------------------------------------
// The License Center

export interface CenterWorld {
  readonly dialect: Dialect;
  readonly dir: string;
  readonly dataDir: string;
  readonly masterKey: Uint8Array;
  /** null: the embedded SQLite database in dataDir. */
  readonly databaseUrl: string | null;
  /** The child's environment: database, master key, sync budgets. */
  readonly env: Readonly<Record<string, string>>;
  cleanup(): void;
}

/** A temporary data folder and a master key; PostgreSQL when a cluster is given. */
export function makeCenterWorld(postgres: PostgresCluster | null): CenterWorld {
  const dir = mkdtempSync(join(os.tmpdir(), 'tessera-bench-lc-'));
  const masterKey = randomBytes(32);
  const databaseUrl = postgres?.databaseUrl ?? null;
  const env: Record<string, string> = {
    TESSERA_MASTER_KEY: masterKey.toString('base64url'),
    TESSERA_SYNC_PER_ADDRESS: UNLIMITED_PER_MINUTE,
    TESSERA_SYNC_PER_KEY: UNLIMITED_PER_MINUTE,
    // Unset variables of the caller's shell must not reach the child: an SMTP_URL would send mail.
    DATABASE_URL: databaseUrl ?? '',
    SMTP_URL: '',
  };
  return {
    dialect: databaseUrl ? 'postgres' : 'sqlite',
    dir,
    dataDir: join(dir, 'data'),
    masterKey,
    databaseUrl,
    env,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CenterProcess extends ServerProcess {
  readonly dialect: string;
}

/** Starts `tessera-center serve --data DIR --host 127.0.0.1 --port 0` (it migrates first) and waits until it serves. */
export async function startCenterProcess(world: CenterWorld, options: SpawnOptions = {}): Promise<CenterProcess> {
  const server = await spawnServer(
    'tessera-center',
    [CENTER_BIN, 'serve', '--data', world.dataDir, '--host', '127.0.0.1', '--port', '0'],
    /tessera-center serving on (http:\/\/[\d.]+:\d+) \((\w+)\)/,
    { ...options, env: { ...world.env, ...options.env } },
  );
  if (server.ready[2] !== world.dialect) {
    await server.stop();
    throw new Error(`tessera-center serves on ${server.ready[2]}, not ${world.dialect}`);
  }
  return { ...server, dialect: server.ready[2]! };
}

/** The License Center's services in this process, on the world's database (migrated), for setting data up. */
export interface CenterServicesInProcess {
  readonly handle: DatabaseHandle;
  readonly keys: SigningKeys;
  readonly licenses: Licenses;
  readonly catalogue: Catalogue;
  readonly sessions: Sessions;
  close(): Promise<void>;
}

export async function openCenterServices(world: CenterWorld): Promise<CenterServicesInProcess> {
  const handle = openDatabase({ databaseUrl: world.databaseUrl, dataDir: world.dataDir });
  try {
    await migrateToLatest(handle.db as never, handle.dialect, { masterKey: world.masterKey });
    const clock = { now: () => Date.now() };
    const keys = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey: world.masterKey, clock });
    await keys.ensureActive();
    const audit = new AuditLog({ db: handle.db, dialect: handle.statements, clock, masterKey: world.masterKey });
    const licenses = new Licenses({ db: handle.db, dialect: handle.statements, keys, audit, masterKey: world.masterKey, clock });
    const sessions = new Sessions({ db: handle.db, clock });
    const catalogue = new Catalogue({ db: handle.db, dialect: handle.statements, licenses, audit, clock });
    return { handle, keys, licenses, catalogue, sessions, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export function unwrap<T>(result: { ok: true; value: T } | { ok: false; code: string; detail: string }, what: string): T {
  if (!result.ok) throw new Error(`${what}: ${result.code}: ${result.detail}`);
  return result.value;
}

// ---------------------------------------------------------------------------------------------------------------
// A License Manager's side of a sync

export interface LmIdentity {
  readonly privateKey: KeyObject;
  readonly lmPublicKeyRaw: Uint8Array;
  readonly hostDigest: Uint8Array;
  readonly lmid: string;
}

/** An LM identity as the License Manager derives it (its Ed25519 key and a host fingerprint). */
export function makeLm(fingerprint = `machine:${randomBytes(8).toString('hex')}`): LmIdentity {
  const privateKey = generateEd25519().privateKey;
  const lmPublicKeyRaw = rawPublicKey(privateKey);
  const hostDigest = fingerprintDigest(fingerprint);
  return { privateKey, lmPublicKeyRaw, hostDigest, lmid: deriveLmid(lmPublicKeyRaw, hostDigest) };
}

/** The JSON body of POST /v1/lm/sync, signed by `lm`, as a real LM sends it (same state, same bytes). */
export function syncBody(lm: LmIdentity, onlineKey: string, known: { licenseId: string; serial: number } | null): string {
  const request = buildSyncRequest(
    {
      onlineKey,
      lmid: lm.lmid,
      lmPublicKeyRaw: lm.lmPublicKeyRaw,
      hostDigest: lm.hostDigest,
      known,
      usage: { query: 1, storage: 2 },
      lmVersion: '0.1.0',
      host: { hostname: 'bench-host', os: 'linux x64' },
    },
    lm.privateKey,
  );
  return JSON.stringify({ request });
}

// ---------------------------------------------------------------------------------------------------------------
// Measured runs (shared with the lm-* benchmarks of replicas: measured-load.ts)

export { latencyNote, measuredSummary, measureLoad, rotatingRequests, runPlan, runSummary } from './measured-load.js';
export type { Measured, RunPlan } from './measured-load.js';
