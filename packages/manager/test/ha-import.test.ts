/**
 * Upgrading a single License Manager to replicas: `tessera-lm ha-import` moves its data path into the database and
 * the replicas show the same LMID, so the license bound to it stays valid, and running nodes keep their leases.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunningClock } from '../src/clock.js';
import { startDaemon } from '../src/daemon.js';
import type { Daemon } from '../src/daemon.js';
import { hostFingerprint } from '../src/identity.js';
import { createDatabase, HA_SECRET, replicaConfig, sharedDbUrl } from './support/shared-db.js';
import type { TestDatabase } from './support/shared-db.js';
import { BIN, writeConfig } from './support/process.js';
import { admin, call, licenseFor, makeWorld, silentLogger } from './support/world.js';
import type { World } from './support/world.js';

let db: TestDatabase;
let world: World;
const open: Daemon[] = [];

/** The CLI as a child process, without blocking this process (which may serve the LM it asks). */
async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 20_000 });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { status: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The single License Manager as on this host (the CLI derives the fingerprint the same way). */
async function single(): Promise<Daemon> {
  const daemon = await startDaemon({
    config: world.config,
    clock: world.clock,
    logger: silentLogger,
    fingerprint: hostFingerprint(world.config.fingerprint, world.config.dataPath)!,
  });
  open.push(daemon);
  return daemon;
}

function haConfigFile(): string {
  const file = join(world.dir, 'ha.yaml');
  writeFileSync(
    file,
    `dataPath: ${join(world.dir, 'replica-data')}\ntrust: ${world.trustPath}\nport: 0\ndatabase:\n  url: ${db.url}\nha:\n  secret: ${HA_SECRET}\n`,
  );
  return file;
}

beforeEach(async () => {
  if (!sharedDbUrl) return;
  db = await createDatabase();
  world = makeWorld();
  // The CLI reads the host's clock (which leases are live): the License Managers run on it too.
  world.clock = new RunningClock();
});
afterEach(async () => {
  if (!sharedDbUrl) return;
  for (const daemon of open.splice(0)) await daemon.close();
  await db.drop();
  world.cleanup();
});

describe.skipIf(!sharedDbUrl)('tessera-lm ha-import', () => {
  it('moves a single License Manager into the database keeping its LMID, license, serial floor and leases', async () => {
    const lm = await single();
    await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid, { serial: 2 }) });
    const seat = await call(lm, 'POST', '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId: 'q1', instance: 'proc-q1' });
    expect(seat.status).toBe(200);
    const from = writeConfig(world);
    const to = haConfigFile();
    // Moved only once stopped (see the next test for one still answering).
    await open.splice(0)[0]!.close();

    const moved = await cli(['ha-import', '--from', from, '--config', to]);
    expect(moved).toMatchObject({ status: 0, stdout: expect.stringContaining(`Moved License Manager ${lm.lmid}`) });
    expect(moved.stdout).toContain('1 live leases');

    const replica = await startDaemon({ config: replicaConfig(world, db.url, 1), clock: world.clock, logger: silentLogger });
    open.push(replica);
    expect(replica.lmid).toBe(lm.lmid);
    expect((await call(replica, 'GET', '/v1/info')).body).toMatchObject({ status: 'Normal', serial: 2, licenseId: 'lic_lmtest' });
    expect((await call(replica, 'POST', '/v1/seats/heartbeat', { leaseId: seat.body.leaseId, instance: 'proc-q1' })).status).toBe(200);
    const older = await admin(replica, '/v1/admin/load', { key: licenseFor(world, lm.lmid, { serial: 1 }) });
    expect(older.body.error.code).toBe('SUPERSEDED');

    // The data path does not start again beside the replicas, and the database takes no second installation.
    await expect(single()).rejects.toThrow(/was moved into a shared database/);
    const again = await cli(['ha-import', '--from', from, '--config', to]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already holds a License Manager installation');
  });

  it('refuses while the License Manager still answers at its address', async () => {
    const lm = await single();
    const from = writeConfig(world, '', { port: lm.port });
    const moved = await cli(['ha-import', '--from', from, '--config', haConfigFile()]);
    expect(moved.status).toBe(1);
    expect(moved.stderr).toContain(`A License Manager answers at 127.0.0.1:${lm.port}: stop it first`);
    expect(await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'tessera_lm_installation'")).toEqual([]);
  });
});
