/**
 * What the LC license tests share: fixed times, the staff actor, unwrap, an LM identity, and a migrated
 * database (on the given dialect) with the licensing services built on it.
 */
import { randomBytes } from 'node:crypto';
import { buildSyncRequest, deriveLmid, fingerprintDigest, generateEd25519, rawPublicKey } from '@tessera/core';
import type { KeyObject, SyncRequestInput } from '@tessera/core';
import { openDatabase } from '../../src/db/connect.js';
import type { DatabaseHandle, Dialect } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrations.js';
import { AuditLog } from '../../src/services/audit/audit.js';
import { Catalogue } from '../../src/services/catalogue/catalogue.js';
import { Licenses } from '../../src/services/licenses/licenses.js';
import { SigningKeys } from '../../src/services/trust/signing-keys.js';
import { TrustBundles } from '../../src/services/trust/trust-bundles.js';
import { TrustRoots } from '../../src/services/trust/trust-roots.js';
import { answerOf } from '@tessera/http';
import type { Result } from '@tessera/core';
import { createTestDatabase } from './databases.js';
import type { TestDatabase } from './databases.js';

export const T0 = Date.parse('2026-11-24T12:00:00Z');
export const DAY = 86_400_000;
export const STAFF = 'usr_staff';

export function unwrap<T>(result: { ok: true; value: T } | { ok: false; code: string; detail: string }): T {
  if (!result.ok) throw new Error(`${result.code}: ${result.detail}`);
  return result.value;
}

/** A License Manager identity as the LM derives it. */
export function makeLm(fingerprint = `machine:${randomBytes(8).toString('hex')}`) {
  const privateKey: KeyObject = generateEd25519().privateKey;
  const lmPublicKeyRaw = rawPublicKey(privateKey);
  const hostDigest = fingerprintDigest(fingerprint);
  return { privateKey, lmPublicKeyRaw, hostDigest, lmid: deriveLmid(lmPublicKeyRaw, hostDigest) };
}

/** A sync request signed by `lm` as the LM would send it (nothing known, no usage), with `change` applied. */
export function syncRequestOf(lm: ReturnType<typeof makeLm>, onlineKey: string, change: Partial<SyncRequestInput> = {}): string {
  const input: SyncRequestInput = {
    onlineKey,
    lmid: lm.lmid,
    lmPublicKeyRaw: lm.lmPublicKeyRaw,
    hostDigest: lm.hostDigest,
    known: null,
    usage: {},
    lmVersion: '0.1.0',
    host: { hostname: 'graph-01', os: 'linux x64' },
    ...change,
  };
  return buildSyncRequest(input, lm.privateKey);
}

export interface Licensing {
  target: TestDatabase;
  handle: DatabaseHandle;
  keys: SigningKeys;
  audit: AuditLog;
  licenses: Licenses;
  catalogue: Catalogue;
  roots: TrustRoots;
  trustBundles: TrustBundles;
  close(): Promise<void>;
}

/** A fresh, migrated database on `dialect` with signing keys, the audit log and the licenses service. */
export async function openLicensing(dialect: Dialect, clock: { now(): number }, masterKey: Uint8Array): Promise<Licensing> {
  const target = await createTestDatabase(dialect);
  const handle = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
  await migrateToLatest(handle.db as never, dialect);
  const keys = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock });
  const audit = new AuditLog({ db: handle.db, dialect: handle.statements, clock, masterKey });
  const licenses = new Licenses({ db: handle.db, dialect: handle.statements, keys, audit, masterKey, clock });
  const roots = new TrustRoots({ db: handle.db, dialect: handle.statements, masterKey, clock });
  const trustBundles = new TrustBundles({ keys, roots, clock });
  return {
    target,
    handle,
    keys,
    audit,
    licenses,
    catalogue: new Catalogue({ db: handle.db, dialect: handle.statements, licenses, audit, clock }),
    roots,
    trustBundles,
    async close() {
      await handle.close();
      await target.drop();
    },
  };
}

/** A sync as a License Manager sees it: the service's outcome through the one code → status mapping. */
export async function syncAnswer(sync: { handle(body: unknown): Promise<Result<unknown>> }, body: unknown) {
  return answerOf(await sync.handle(body));
}
