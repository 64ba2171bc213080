/**
 * The end-to-end story (issue 7): the demo's steps run the real License Center, License Manager and graphdb
 * nodes, and after every step this test checks the outcome against the services themselves (the LC's API, the
 * LM's API, the nodes' own HTTP), not only what the demo narrates. Then `npm run demo` itself, as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LEASE_TTL_SECONDS, ROOT } from '../demo/parts.js';
import { CUSTOMER_EMAIL, runDemo, STEPS } from '../demo/story.js';
import type { DemoWorld, StepName } from '../demo/story.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Each licensed storage node still answers with the value written to it at step 7: it kept serving. */
async function keptServing(world: DemoWorld, ids = ['storage-1', 'storage-2']): Promise<void> {
  for (const id of ids) {
    const read = await fetch(`${world.nodes.get(id)!.url}/kv/answer-${id}`);
    expect({ id, status: read.status }).toEqual({ id, status: 200 });
    expect(await read.text()).toContain(`42 from ${id}`);
  }
}

function lmUrl(world: DemoWorld): string {
  return `http://${world.manager!.addr}`;
}

/** What each step must have done, checked from outside the demo. */
const checks: Record<StepName, (world: DemoWorld) => Promise<void>> = {
  async 'center-started'(world) {
    expect((await json(`${world.center!.url}/health`)).status).toBe(200);
    expect((await world.staff!.get<{ user: { role: string } }>('/v1/auth/me')).user.role).toBe('admin');
  },
  async 'license-sold'(world) {
    const details = await world.staff!.get<any>(`/v1/staff/licenses/${world.licenseId}`);
    expect(details.resources.nodes).toEqual({ query: 1, storage: 2 });
    expect(details.basic.status).toBe('active');
    expect(details.key.mode).toBe('offline');
    // graphdb is built with the License Center's published root compiled in (the one its trust file names).
    const trustFile = (await json(`${world.center!.url}/v1/trust-bundle`)).body;
    expect(world.roots).toEqual(trustFile.roots);
    expect(readFileSync(world.graphdb!, 'utf8')).toContain(JSON.stringify(world.roots));
  },
  async 'customer-signed-up'(world) {
    const me = await world.customer!.get<{ user: { email: string; role: string } }>('/v1/auth/me');
    expect(me.user).toMatchObject({ email: CUSTOMER_EMAIL, role: 'customer' });
    const cards = await world.customer!.get<{ items: { id: string }[] }>('/v1/licenses');
    expect(cards.items.map((card) => card.id)).toEqual([world.licenseId]);
  },
  async 'manager-started'(world) {
    const info = (await json(`${lmUrl(world)}/v1/info`)).body;
    expect(info).toMatchObject({ lmid: world.manager!.lmid, status: 'NotExist', code: 'NO_LICENSE' });
    expect(world.manager!.lmid).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4})+$/);
  },
  async 'manager-bound'(world) {
    const details = await world.staff!.get<any>(`/v1/staff/licenses/${world.licenseId}`);
    expect(details.basic.lmid).toBe(world.manager!.lmid);
  },
  async 'offline-key-loaded'(world) {
    const info = (await json(`${lmUrl(world)}/v1/info`)).body;
    expect(info).toMatchObject({ status: 'Normal', mode: 'offline', licenseId: world.licenseId, product: 'graphdb' });
    expect(info.nodes.storage).toEqual({ total: 2, used: 0, free: 2 });
  },
  async 'nodes-started'(world) {
    expect([...world.nodes.keys()]).toEqual(['storage-1', 'storage-2']);
    expect(world.refused).not.toBeNull();
    expect(world.refused!.exitCode).toBe(3);
    expect(world.refused!.line).toMatch(/^graphdb: storage node storage-3 cannot start: .*\[TOO_MANY_NODES\]$/);
    const usage = (await json(`${lmUrl(world)}/v1/usage`)).body;
    expect(usage.roles.storage).toMatchObject({ total: 2, used: 2, free: 0 });
    expect(usage.leases.map((lease: { nodeId: string }) => lease.nodeId).sort()).toEqual(['storage-1', 'storage-2']);
    // The two licensed nodes really serve: each keeps a value, read back at every later step.
    for (const [id, node] of world.nodes) {
      expect((await fetch(`${node.url}/kv/answer-${id}`, { method: 'PUT', body: `42 from ${id}` })).status).toBeLessThan(300);
    }
    await keptServing(world);
  },
  async 'license-expanded'(world) {
    const details = await world.staff!.get<any>(`/v1/staff/licenses/${world.licenseId}`);
    expect(details.resources.nodes.storage).toBe(3);
    const info = (await json(`${lmUrl(world)}/v1/info`)).body;
    // The LM holds the offline key it was given: still 2 storage seats until it is told otherwise.
    expect(info.nodes.storage.total).toBe(2);
    expect(info.serial).toBeLessThan(details.basic.serial);
    await keptServing(world);
  },
  async 'switched-online'(world) {
    const details = await world.staff!.get<any>(`/v1/staff/licenses/${world.licenseId}`);
    const info = (await json(`${lmUrl(world)}/v1/info`)).body;
    expect(info).toMatchObject({ status: 'Normal', mode: 'online', serial: details.basic.serial });
    expect(info.nodes.storage).toMatchObject({ total: 3, used: 2 });
    expect(info.lastSync.ok).toBe(true);
    // The License Center saw the sync: the LM's usage report arrived with it.
    expect(details.usage).toMatchObject({ lmid: world.manager!.lmid, usage: { storage: 2 } });
    await keptServing(world);
  },
  async 'third-node-seated'(world) {
    expect([...world.nodes.keys()].sort()).toEqual(['storage-1', 'storage-2', 'storage-3']);
    const usage = (await json(`${lmUrl(world)}/v1/usage`)).body;
    expect(usage.roles.storage).toMatchObject({ total: 3, used: 3, free: 0 });
    // The first two kept their data and their seats through the expansion and the switch to online.
    await keptServing(world);
    for (const node of world.nodes.values()) {
      const status = (await json(`${node.url}/status`)).body;
      expect(status.license.licensed).toBe(true);
    }
  },
  async 'manager-stopped'(world) {
    const outage = world.outage!;
    expect(outage.exitCode).toBe(0);
    await expect(fetch(`${lmUrl(world)}/health`)).rejects.toThrow();
    // Away for longer than a lease: every node is past its lease, on the license's outage grace, and serving.
    expect(Date.now() - outage.stoppedAt).toBeGreaterThan(LEASE_TTL_SECONDS * 1000);
    for (const [id, node] of world.nodes) {
      const license = (await json(`${node.url}/status`)).body.license;
      expect({ id, ...license }).toMatchObject({ id, licensed: true, status: 'Degraded', code: 'LM_UNREACHABLE' });
      expect(license.outageGraceHours).toBeGreaterThan(0);
      expect(Date.parse(license.outage.graceEndsAt)).toBe(Date.parse(license.outage.since) + license.outageGraceHours * 3_600_000);
      const written = await fetch(`${node.url}/kv/outage-${id}`);
      expect(written.status).toBe(200);
      expect(await written.json()).toEqual({ key: `outage-${id}`, value: 'written while the LM was away' });
      expect(written.headers.get('x-license-status')).toBe('Degraded');
    }
    await keptServing(world);
    // A node that never had a seat is refused while no License Manager answers.
    expect(outage.refused).toMatchObject({ exitCode: 3 });
    expect(outage.refused!.line).toMatch(/^graphdb: storage node storage-4 cannot start: .*\[LM_UNREACHABLE\]$/);
  },
  async 'manager-back'(world) {
    const info = (await json(`${lmUrl(world)}/v1/info`)).body;
    expect(info).toMatchObject({ lmid: world.manager!.lmid, status: 'Normal', licenseId: world.licenseId });
    expect(info.nodes.storage).toMatchObject({ total: 3, used: 3 });
    const usage = (await json(`${lmUrl(world)}/v1/usage`)).body;
    expect(usage.leases.map((lease: { nodeId: string }) => lease.nodeId).sort()).toEqual(['storage-1', 'storage-2', 'storage-3']);
    for (const [id, node] of world.nodes) {
      const license = (await json(`${node.url}/status`)).body.license;
      expect({ id, ...license }).toMatchObject({ id, licensed: true, status: 'Normal', outage: null });
    }
    await keptServing(world);
  },
  async 'shut-down'(world) {
    expect(world.seatsUsedAfterNodesStopped).toBe(0);
    expect(world.exits).toEqual({ 'storage-1': 0, 'storage-2': 0, 'storage-3': 0, 'tessera-lm': 0, 'tessera-center': 0 });
    await expect(fetch(`${world.center!.url}/health`)).rejects.toThrow();
  },
};

describe('the demo story, end to end', () => {
  it('runs every step with the real programs, each step checked against the services', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-e2e-'));
    dirs.push(dir);
    const seen: StepName[] = [];
    const narration: string[] = [];
    await runDemo(dir, {
      say: (line) => narration.push(line),
      async step(name, world) {
        seen.push(name);
        await checks[name](world);
      },
    });
    expect(seen).toEqual([...STEPS]);
    expect(narration.join('\n')).not.toMatch(/tessera-license:|[0-9A-Z]{5}(-[0-9A-Z]{5}){4}/);
  });

  it('`npm run demo` tells the story, exits 0 and removes its files', { timeout: 180_000 }, () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tessera-demo-run-'));
    dirs.push(tmp);
    const run = spawnSync('npm', ['run', '--silent', 'demo'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp },
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(run.stderr).not.toMatch(/demo: the story stopped/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/cannot start: .*\[TOO_MANY_NODES\]/);
    expect(run.stdout).toMatch(/graphdb storage node storage-3 ready on http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/storage-1: PUT, GET \/kv\/outage-storage-1 -> 200 .*X-License-Status: Degraded/);
    expect(run.stdout).toMatch(/A node started now is refused: .*\[LM_UNREACHABLE\]/);
    expect(run.stdout).toMatch(/LicenseStatus Normal, storage seats 3 used of 3/);
    expect(run.stdout).toMatch(/Storage seats after the nodes stopped: 0 used of 3\./);
    expect(run.stdout).toMatch(/^Done\./m);
    // The demo's own folder is gone (tsx keeps its compile cache there too, which is not ours).
    expect(readdirSync(tmp).filter((entry) => entry.startsWith('tessera-demo-'))).toEqual([]);
  });
});
