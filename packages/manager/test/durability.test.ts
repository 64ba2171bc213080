/**
 * Restarts and kill -9: what the daemon acknowledged is there after it comes back, and the state is readable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, serve, writeConfig } from './support/process.js';
import type { RunningLm } from './support/process.js';
import { DAY, licenseFor, makeWorld } from './support/world.js';
import type { World } from './support/world.js';

let world: World;
let running: RunningLm | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
  world?.cleanup();
});

const post = (addr: string, path: string, body: unknown, token?: string) =>
  fetch(`http://${addr}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

function keyFor(lmid: string, serial: number, nodes = 1000) {
  const now = Date.now();
  return licenseFor(world, lmid, {
    serial,
    nodes: { query: nodes, storage: nodes },
    issuedAt: new Date(now - DAY).toISOString(),
    startsAt: new Date(now - DAY).toISOString(),
    expiresAt: new Date(now + 100 * DAY).toISOString(),
  });
}

async function startLm(config: string) {
  running = await serve(config);
  const info = JSON.parse(cli(['--addr', running.addr, '--json', 'info']).stdout);
  return { lm: running, lmid: info.lmid as string };
}

describe('durability', () => {
  it('a restart keeps the license and the leases', async () => {
    world = makeWorld();
    const config = writeConfig(world);
    const first = await startLm(config);
    let lm = first.lm;
    const lmid = first.lmid;
    expect(cli(['--addr', lm.addr, '--config', config, 'load', '--key', keyFor(lmid, 1, 2)]).status).toBe(0);
    const leases = [];
    for (const nodeId of ['q1', 'q2'])
      leases.push(
        (
          (await (
            await post(lm.addr, '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId, instance: 'proc-1' })
          ).json()) as any
        ).leaseId,
      );
    expect(await lm.stop()).toBe(0);

    ({ lm } = await startLm(config));
    const usage = JSON.parse(cli(['--addr', lm.addr, '--json', 'usage']).stdout);
    expect(usage.status).toBe('Normal');
    expect(usage.leases.map((l: any) => l.nodeId).sort()).toEqual(['q1', 'q2']);
    expect(
      (await post(lm.addr, '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId: 'q3', instance: 'proc-1' })).status,
    ).toBe(409);
    // The restarted LM still knows each lease and its owner: the instance that took it renews it.
    expect((await post(lm.addr, '/v1/seats/heartbeat', { leaseId: leases[0], instance: 'proc-1' })).status).toBe(200);
    expect((await post(lm.addr, '/v1/seats/heartbeat', { leaseId: leases[1], instance: 'proc-2' })).status).toBe(404);
  });

  it('kill -9 during seat traffic loses no acknowledged lease and leaves a readable state', async () => {
    world = makeWorld();
    const config = writeConfig(world);
    const first = await startLm(config);
    let lm = first.lm;
    const lmid = first.lmid;
    expect(cli(['--addr', lm.addr, '--config', config, 'load', '--key', keyFor(lmid, 1)]).status).toBe(0);
    const acknowledged = new Set<string>();
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const response = await post(lm.addr, '/v1/seats/checkout', {
            product: 'graphdb',
            role: i % 2 ? 'query' : 'storage',
            nodeId: `n${w}-${i}`,
            instance: `proc-${w}`,
          });
          if (response.status === 200) acknowledged.add(`n${w}-${i}`); // usage shows node ids, not lease ids
        } catch {
          return; // the daemon is gone
        }
      }
    };
    const traffic = Promise.all([1, 2, 3, 4].map(worker));
    while (acknowledged.size < 200) await new Promise((resolve) => setTimeout(resolve, 5));
    await lm.kill9();
    stop = true;
    await traffic;

    ({ lm } = await startLm(config));
    const usage = JSON.parse(cli(['--addr', lm.addr, '--json', 'usage']).stdout);
    const present = new Set(usage.leases.map((l: any) => l.nodeId));
    const lost = [...acknowledged].filter((id) => !present.has(id));
    expect(lost).toEqual([]);
    expect(usage.status).toBe('Normal');
  });

  it('kill -9 during key loads keeps the last acknowledged key or a newer one, never a torn state', async () => {
    world = makeWorld();
    const config = writeConfig(world);
    const first = await startLm(config);
    let lm = first.lm;
    const lmid = first.lmid;
    const token = readFileSync(join(world.config.dataPath, 'admin.token'), 'utf8').trim();
    let lastAcknowledged = 0;
    let stop = false;
    const loads = (async () => {
      for (let serial = 1; !stop; serial++) {
        try {
          const response = await post(lm.addr, '/v1/admin/load', { key: keyFor(lmid, serial) }, token);
          if (response.status === 200) lastAcknowledged = serial;
        } catch {
          return;
        }
      }
    })();
    while (lastAcknowledged < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    await lm.kill9();
    stop = true;
    await loads;

    ({ lm } = await startLm(config));
    const info = JSON.parse(cli(['--addr', lm.addr, '--json', 'info']).stdout);
    expect(info.status).toBe('Normal');
    expect(info.serial).toBeGreaterThanOrEqual(lastAcknowledged);
  });
});
