/**
 * Moving a single License Manager into a shared database (`tessera-lm ha-import`), keeping its LMID: installed
 * customers cannot re-bind their license for a release. The LMID derives from the identity key and the host's
 * fingerprint digest, so both move: the key (encrypted under the HA secret) and the digest of the fingerprint the
 * single License Manager had on this host. The sealed state moves as it is (it is sealed with a key derived from the
 * identity key, which does not change), with the license, the live leases (so running nodes keep their seats when
 * they heartbeat at a replica) and the events. The data path is then marked as moved, so it never starts again
 * beside the replicas as a second License Manager with the same LMID.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fail, fingerprintDigest, ok, parseEnvelope, rawSeed } from '@tessera/core';
import type { Result } from '@tessera/core';
import type { LmConfig } from '../config.js';
import { hostFingerprint, openIdentity } from '../identity.js';
import { MOVED_FILE } from '../open-state.js';
import { openStateDb } from '../state/db.js';
import { openPgPool } from '../state/pg-schema.js';
import { PgStore } from '../state/pg-store.js';
import { readSealedState, sealPath } from '../state/sealed-state.js';
import { StateStore } from '../state/store.js';
import { databaseLocation, readDatabaseSecrets } from './open.js';
import { installationFor } from './identity.js';

export interface ImportOutcome {
  lmid: string;
  location: string;
  leases: number;
  licenseId: string | null;
}

const EVENTS_KEPT = 10_000;

/**
 * Moves the data path of `from` (a single License Manager's config, stopped) into the database of `to` (the
 * replicas' config). Never throws for a problem a person fixes: the result says what and why.
 */
export async function importDataPath(from: LmConfig, to: LmConfig, now: number): Promise<Result<ImportOutcome>> {
  if (from.database) return fail('BAD_REQUEST', "--from names a config with a database: give the single License Manager's config.");
  if (!to.database) return fail('BAD_REQUEST', "--config names a config without a database: give the replicas' config (database and ha).");
  const fingerprint = hostFingerprint(from.fingerprint, from.dataPath, false);
  if (fingerprint === null)
    return fail('MALFORMED', `${from.dataPath} holds no installation-id, though its config says fingerprint: installation.`);
  let opened;
  try {
    opened = openIdentity(from.dataPath, fingerprint);
  } catch (error) {
    return fail('MALFORMED', (error as Error).message);
  }
  if (!opened.existed) return fail('NOT_FOUND', `${from.dataPath} holds no identity.key: there is no License Manager to move.`);
  const sealed = readSealedState(from.dataPath, opened.sealKey);
  if (!sealed.ok) return fail(sealed.code, `${sealPath(from.dataPath)} cannot be used: ${sealed.detail}`);
  if (!sealed.value) {
    return fail(
      'MALFORMED',
      `${from.dataPath} holds no identity.seal: start it once with this release (it writes the seal), stop it, then move it.`,
    );
  }
  const lmid = opened.identity.lmid;
  const single = new StateStore(openStateDb(join(from.dataPath, 'state.db')));
  let license, leases, events;
  try {
    license = single.getLicense();
    leases = single.listLeases().filter((lease) => lease.expiresAt > now);
    events = single.recentEvents(EVENTS_KEPT).reverse();
  } finally {
    single.close();
  }
  const bound = license?.licenseText ? parseEnvelope(license.licenseText, 'license') : null;
  const boundTo = bound?.ok ? bound.value.payload.lmid : null;
  if (typeof boundTo === 'string' && boundTo !== lmid) {
    return fail(
      'LMID_MISMATCH',
      `The license held is bound to LMID ${boundTo}, but on this host the data path shows LMID ${lmid}: run this on the host the License Manager ran on, so it keeps its LMID.`,
    );
  }
  const { url, secret } = readDatabaseSecrets(to.database);
  const location = databaseLocation(url);
  const store = new PgStore(await openPgPool({ url, poolSize: 2, onError: () => {} }));
  try {
    const installation = installationFor(rawSeed(opened.identity.privateKey), secret, {
      installationId: `ins_${randomBytes(16).toString('hex')}`,
      hostDigest: fingerprintDigest(fingerprint),
      origin: 'imported',
      createdAt: now,
    });
    const sealedText = readFileSync(sealPath(from.dataPath), 'utf8');
    const imported = await store.importInstallation({ installation, sealed: sealedText, license, leases, events });
    if (!imported) {
      return fail(
        'BAD_REQUEST',
        `The database ${location} already holds a License Manager installation; move a data path only into a database without one.`,
      );
    }
  } finally {
    await store.close();
  }
  writeFileSync(join(from.dataPath, MOVED_FILE), `${location} on ${new Date(now).toISOString()}, LMID ${lmid}\n`, { mode: 0o600 });
  return ok({ lmid, location, leases: leases.length, licenseId: license?.licenseId ?? null });
}
