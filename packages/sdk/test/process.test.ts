/**
 * The real tessera-lm binary as a child process: kill -9 and restarts on the same address and data path, and a
 * product process using the built SDK, which must be free to exit (the SDK's timers never keep it alive).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '@tessera/sdk';
import type { Connection } from '@tessera/sdk';
import { cli, serve, writeConfig } from '../../manager/test/support/process.js';
import type { RunningLm } from '../../manager/test/support/process.js';
import { DAY, licenseFor, makeWorld } from '../../manager/test/support/world.js';
import type { World } from '../../manager/test/support/world.js';
import { recordChanges, until } from './support/lm.js';
import { TestTimers } from './support/timers.js';

const SDK_DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));

let world: World;
let config: string;
let running: RunningLm | null = null;
let url: string;
const connections: Connection[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeEach(async () => {
  world = makeWorld();
  const port = await freePort();
  // The binary's shortest lease is 5 s; a fixed port so a restarted LM is at the same address.
  config = writeConfig(world, '', { port, leaseTtlSeconds: 5 });
  running = await serve(config);
  url = `http://${running.addr}`;
  const lmid = JSON.parse(cli(['--addr', running.addr, '--json', 'info']).stdout).lmid as string;
  const now = Date.now();
  const key = licenseFor(world, lmid, {
    issuedAt: new Date(now - DAY).toISOString(),
    startsAt: new Date(now - DAY).toISOString(),
    expiresAt: new Date(now + 100 * DAY).toISOString(),
  });
  expect(cli(['--addr', running.addr, '--config', config, 'load', '--key', key]).status).toBe(0);
});
afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close()));
  await running?.stop();
  running = null;
  world.cleanup();
});

async function node(nodeId: string, timers?: TestTimers): Promise<Connection> {
  const connection = await connect({
    url,
    root: world.root.text,
    product: 'graphdb',
    role: 'query',
    nodeId,
    heartbeatMs: 100,
    timeoutMs: 1000,
    ...(timers ? { timers } : {}),
  });
  connections.push(connection);
  return connection;
}

const usage = () => JSON.parse(cli(['--addr', running!.addr, '--json', 'usage']).stdout) as { roles: Record<string, { used: number }> };

describe('against the tessera-lm binary', () => {
  it('rides out a restart of the LM without a change', async () => {
    const connection = await node('q1');
    const changes = recordChanges(connection);
    expect(await running!.stop()).toBe(0);
    running = await serve(config);
    const seen = connection.status().seat!.expiresAt;
    await until(() => connection.status().seat!.expiresAt !== seen, 'a renewal by the restarted LM');
    expect(connection.status()).toMatchObject({ licensed: true, code: 'VALID' });
    expect(changes).toEqual([]);
    expect(usage().roles.query!.used).toBe(1);
  });

  it('after kill -9 is unlicensed once the lease runs out, and takes its seat again when the LM is back', async () => {
    const timers = new TestTimers();
    const connection = await node('q1', timers);
    const changes = recordChanges(connection);
    await running!.kill9();
    running = null;
    timers.advance(5000); // a lease TTL of the SDK's schedule, without an answer
    await until(() => !connection.status().licensed, 'the lease runs out');
    expect(connection.status()).toMatchObject({ status: 'Unreachable', code: 'LM_UNREACHABLE' });
    running = await serve(config);
    await until(() => connection.status().licensed, 'the seat taken again');
    expect(changes.map((c) => c.state.code)).toEqual(['LM_UNREACHABLE', 'VALID']);
    expect(usage().roles.query!.used).toBe(1);
  });

  it('with an outage grace: after kill -9 the node stays licensed (Degraded) past its lease, a new node is refused, and all is normal once the LM is back', async () => {
    const now = Date.now();
    const graced = licenseFor(world, JSON.parse(cli(['--addr', running!.addr, '--json', 'info']).stdout).lmid as string, {
      serial: 2,
      outageGraceHours: 72,
      issuedAt: new Date(now - DAY).toISOString(),
      startsAt: new Date(now - DAY).toISOString(),
      expiresAt: new Date(now + 100 * DAY).toISOString(),
    });
    expect(cli(['--addr', running!.addr, '--config', config, 'load', '--key', graced]).status).toBe(0);
    const timers = new TestTimers();
    const connection = await node('q1', timers);
    const changes = recordChanges(connection);
    await running!.kill9();
    running = null;
    timers.advance(3 * 5000); // three lease TTLs of the SDK's schedule, without an answer
    await until(() => connection.status().status === 'Degraded', 'Degraded');
    expect(connection.status()).toMatchObject({ licensed: true, code: 'LM_UNREACHABLE', outageGraceHours: 72 });
    expect(connection.isEnabled('scan')).toBe(true);
    const refused = await node('q2').then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(refused).toMatchObject({ code: 'LM_UNREACHABLE' });
    expect(refused!.message).toMatch(/cannot be reached .*graphdb node "q2" \(role query\) holds no seat/);

    running = await serve(config);
    await until(() => connection.status().status === 'Normal', 'Normal again');
    expect(changes.map((c) => [c.state.status, c.state.licensed])).toEqual([
      ['Degraded', true],
      ['Normal', true],
    ]);
    expect(usage().roles.query!.used).toBe(1);
  });

  it('lets a product process exit on its own while it holds a seat', () => {
    const script = join(world.dir, 'product.mjs');
    writeFileSync(
      script,
      `import { connect } from ${JSON.stringify(SDK_DIST)};
const license = await connect({ url: ${JSON.stringify(url)}, root: ${JSON.stringify(world.root.text)}, product: 'graphdb', role: 'query', nodeId: 'child', heartbeatMs: 50 });
console.log(JSON.stringify(license.status()));
`,
    );
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ licensed: true, code: 'VALID', seat: { leaseId: expect.stringMatching(/^lse_/) } });
  });
});
