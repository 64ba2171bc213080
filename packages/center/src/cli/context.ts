/** What every tessera-center command needs: the configuration and an up-to-date database. */
import { loadCenterConfig } from '../config.js';
import type { CenterConfig, CenterFlags } from '../config.js';
import { openDatabase } from '../db/connect.js';
import type { DatabaseHandle } from '../db/connect.js';
import { migrateToLatest } from '../db/migrations.js';
import { buildServices } from '../compose.js';
import type { CenterServices } from '../compose.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, CONFIG: 5, INTERNAL: 6 } as const;

export async function openContext(flags: CenterFlags): Promise<{ config: CenterConfig; handle: DatabaseHandle; migrated: string[] }> {
  const loaded = loadCenterConfig(flags);
  if (!loaded.ok) throw new CliError(`The configuration has problems:\n${loaded.problems.map((p) => `  ${p}`).join('\n')}`, EXIT.CONFIG);
  const { config } = loaded;
  let handle: DatabaseHandle;
  try {
    handle = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeouts: config.database });
  } catch (error) {
    throw new CliError(`Cannot open the database: ${(error as Error).message}`, EXIT.CONFIG);
  }
  try {
    const migrated = await migrateToLatest(handle.db as never, handle.dialect, { masterKey: config.masterKey });
    return { config, handle, migrated };
  } catch (error) {
    await handle.close();
    throw new CliError(`Cannot prepare the database at ${handle.location}: ${(error as Error).message}`, EXIT.CONFIG);
  }
}

/** Runs `work` with the services built as `serve` builds them (compose.ts), on the CLI's own connection. */
export async function withServices<T>(flags: CenterFlags, work: (services: CenterServices) => Promise<T>): Promise<T> {
  const { config, handle } = await openContext(flags);
  const services = buildServices(config, handle);
  try {
    return await work(services);
  } finally {
    services.mail.close();
    await handle.close();
  }
}
