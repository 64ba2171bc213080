/**
 * Opening a replica's state in the shared PostgreSQL database: the URL and the HA secret (from the YAML or the
 * files it names), the tables (migrated), the installation identity and its sealed state, and this replica's row.
 * The admin token derives from the HA secret, so one token works at every replica; it is also written to the data
 * path, where the CLI on the host reads it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '@tessera/core';
import { MIN_HA_SECRET } from '../config.js';
import type { DatabaseConfig, LmConfig } from '../config.js';
import { StartupError, openTrust } from '../open-state.js';
import type { OpenedState } from '../open-state.js';
import { Guards } from '../services/guards.js';
import { writeFileAtomic } from '../state/files.js';
import { openPgPool } from '../state/pg-schema.js';
import { PgStore } from '../state/pg-store.js';
import { adminTokenOf, openSharedIdentity } from './identity.js';
import { ReplicaSet } from './replicas.js';
import { randomId } from '../ids.js';
import { SharedSeal } from './shared-seal.js';
import type { SealEvent } from './shared-seal.js';

export interface SharedOpenOptions {
  clock: Clock;
  onEvent: SealEvent;
  /** A statement failed (the database is down or restarting): logged, at most so often, by the caller. */
  onDatabaseError: (error: unknown) => void;
}

/** The URL and secret of the config, read from their files when given so. */
export function readDatabaseSecrets(database: DatabaseConfig): { url: string; secret: string } {
  const url = database.url ?? readSecretFile(database.urlFile!, 'database.urlFile', 'the PostgreSQL URL');
  const secret = database.secret ?? readSecretFile(database.secretFile!, 'ha.secretFile', 'the HA secret');
  if (!/^postgres(ql)?:\/\/./.test(url)) {
    throw new StartupError(
      `The file ${database.urlFile} (database.urlFile) does not hold a PostgreSQL URL (postgres://user:password@host:5432/database).`,
    );
  }
  if (secret.length < MIN_HA_SECRET) {
    throw new StartupError(
      `The HA secret in ${database.secretFile} (ha.secretFile) must be at least ${MIN_HA_SECRET} characters long (e.g. from openssl rand -hex 32).`,
    );
  }
  return { url, secret };
}

/** The URL as messages may show it: without the password. */
export function databaseLocation(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return `${parsed.protocol}//${parsed.username ? `${parsed.username}@` : ''}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the configured database';
  }
}

export async function openShared(config: LmConfig, trustText: string, options: SharedOpenOptions): Promise<OpenedState> {
  const { url, secret } = readDatabaseSecrets(config.database!);
  const location = databaseLocation(url);
  const replicaId = randomId('rep_', 9);
  let store: PgStore;
  try {
    store = new PgStore(await openPgPool({ url, poolSize: config.database!.poolSize, onError: options.onDatabaseError }), replicaId);
  } catch (error) {
    throw new StartupError(`The database ${location} cannot be used: ${(error as Error).message}`);
  }
  try {
    const opened = await openSharedIdentity(store, secret, options.clock.now());
    if (!opened.ok) throw new StartupError(opened.detail, opened.code);
    const { identity, sealKey, state } = opened.value;
    const seal = new SharedSeal(store, sealKey, options.onEvent, options.onDatabaseError);
    const guards = Guards.shared(state, seal);
    const { trust, warnings } = openTrust(config, trustText, guards);
    await guards.persisted();
    const adminToken = adminTokenOf(secret);
    writeFileAtomic(join(config.dataPath, 'admin.token'), adminToken + '\n', 0o600);
    const license = await store.getLicense();
    const replicas = new ReplicaSet({
      id: replicaId,
      store,
      clock: options.clock,
      guards,
      seal,
      syncIntervalMs: config.syncIntervalMinutes * 60_000,
      syncLeaseMs: 3 * config.timeoutMs + 10_000,
      onError: options.onDatabaseError,
    });
    return {
      store,
      identity,
      guards,
      trust,
      warnings,
      adminToken,
      initialLicense: license?.license ?? null,
      single: null,
      shared: { store, replicas, location, licenseVersion: license?.version ?? null },
      close: async () => {
        await replicas.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close().catch(() => {});
    if (error instanceof StartupError) throw error;
    throw new StartupError(`The database ${location} cannot be used: ${(error as Error).message}`);
  }
}

function readSecretFile(file: string, key: string, what: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new StartupError(`The file ${file} (${key}, ${what}) cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}
