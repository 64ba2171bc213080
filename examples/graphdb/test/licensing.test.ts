/** graphdb nodes against a real License Manager: refusals at start, the role limit, a lapse and its recovery, stopping. */
import { writeFileSync } from 'node:fs';
import { generateSigningKey, serializeTrustBundle } from '@tessera/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killAll, nodeArgs, request, spawnNode, startLm, startNode, waitReady } from './support/graphdb.js';
import type { Lm } from './support/graphdb.js';

let lm: Lm;
beforeEach(async () => {
  lm = await startLm();
});
afterEach(async () => {
  await killAll();
  await lm?.close();
});

describe('without a license', () => {
  it.each([
    ['storage', 's1', []],
    ['query', 'q1', ['--storage_addrs=127.0.0.1:9']],
  ])('a %s node refuses to start, with the code in its one line, exit 3', async (role, nodeId, extra) => {
    const run = spawnNode(nodeArgs(role as 'query' | 'storage', nodeId, lm, extra));
    expect(await run.exited).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(`^graphdb: ${role} node ${nodeId} cannot start: .*No license is in force.* \\[NO_LICENSE\\]\\n$`),
    );
    expect((await lm.usage()).leases).toEqual([]);
  });
});

describe('a License Manager that is not there', () => {
  it('refuses to start with LM_UNREACHABLE, exit 3', async () => {
    const run = spawnNode([
      '--role=storage',
      '--node-id=s1',
      '--license_manager_url=127.0.0.1:9',
      `--trust=${lm.world.trustPath}`,
      '--port=0',
    ]);
    expect(await run.exited).toBe(3);
    expect(run.stderr).toMatch(/^graphdb: storage node s1 cannot start: .* \[LM_UNREACHABLE\]\n$/);
  });
});

describe('a node without the vendor trust bundle', () => {
  it('exits 2 saying --trust is required, before asking the License Manager, even with a license loaded', async () => {
    await lm.load();
    const run = spawnNode(['--role=storage', '--node-id=s1', `--license_manager_url=${lm.addr}`, '--port=0']);
    expect(await run.exited).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^graphdb: --trust is required: the vendor's trust bundle file shipped with the product; see README\nusage: graphdb .*--trust <trust-bundle file>/,
    );
    expect((await lm.usage()).leases).toEqual([]);
  });
});

describe('bad flags', () => {
  it('exits 2 with a sentence naming the flag, before asking the License Manager', async () => {
    const missing = spawnNode(['--role=storage', '--node-id=s1']);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr).toMatch(/^graphdb: --license_manager_url is missing: .*\nusage: graphdb /);
    const role = spawnNode(['--role=meta', '--node-id=m1', `--license_manager_url=${lm.addr}`, `--trust=${lm.world.trustPath}`]);
    expect(await role.exited).toBe(2);
    expect(role.stderr).toMatch(/^graphdb: --role must be query or storage, not "meta"/);
    const trust = spawnNode([
      '--role=storage',
      '--node-id=s1',
      `--license_manager_url=${lm.addr}`,
      `--trust=${lm.world.dir}/no-such-bundle`,
    ]);
    expect(await trust.exited).toBe(2);
    expect(trust.stderr).toMatch(/^graphdb: cannot read the trust bundle /);
    const notBundle = `${lm.world.dir}/not-a-bundle.json`;
    writeFileSync(notBundle, 'not json');
    const garbled = spawnNode(['--role=storage', '--node-id=s1', `--license_manager_url=${lm.addr}`, `--trust=${notBundle}`]);
    expect(await garbled.exited).toBe(2);
    expect(garbled.stderr).toMatch(/^graphdb: .*"trust" cannot be used/);
    expect((await lm.usage()).leases).toEqual([]);
  });
});

describe('with a license for 2 storage and 2 query nodes', () => {
  beforeEach(() => lm.load());

  it('starts two storage nodes, refuses a third with TOO_MANY_NODES, and the two keep serving data', async () => {
    const s1 = await startNode('storage', 's1', lm);
    const s2 = await startNode('storage', 's2', lm);
    expect(s1.stdout).toMatch(/^graphdb storage node s1 ready on http:\/\/127\.0\.0\.1:\d+ \(license Normal, storage seats 2\)\n$/);
    const s3 = spawnNode(nodeArgs('storage', 's3', lm));
    expect(await s3.exited).toBe(3);
    expect(s3.stderr).toMatch(/^graphdb: storage node s3 cannot start: .*All 2 "storage" seats are taken.* \[TOO_MANY_NODES\]\n$/);
    for (const [node, value] of [
      [s1, 'one'],
      [s2, 'two'],
    ] as const) {
      expect((await request(`${node.url}/kv/k`, { method: 'PUT', body: value })).status).toBe(200);
      expect(await request(`${node.url}/kv/k`)).toEqual({ status: 200, body: { key: 'k', value } });
    }
    expect((await lm.usage()).roles.storage).toEqual({ total: 2, used: 2, free: 0 });
  });

  it('releases its seat on SIGTERM, says it stopped and exits 0; the seat is free at the LM', async () => {
    const s1 = await startNode('storage', 's1', lm);
    expect((await lm.usage()).leases.map((l: any) => l.nodeId)).toEqual(['s1']);
    s1.child.kill('SIGTERM');
    expect(await s1.exited).toBe(0);
    expect(s1.stdout).toMatch(/\ngraphdb storage node s1 stopped\n$/);
    expect((await lm.usage()).roles.storage).toEqual({ total: 2, used: 0, free: 2 });
  });

  it('refuses to start when the license is not signed by the vendor of its trust bundle', async () => {
    const otherVendor = `${lm.world.dir}/other-vendor.json`;
    const other = generateSigningKey();
    writeFileSync(otherVendor, serializeTrustBundle([{ kid: other.kid, state: 'active', publicKeyRaw: other.publicKeyRaw }]));
    const run = spawnNode(['--role=storage', '--node-id=s1', `--license_manager_url=${lm.addr}`, `--trust=${otherVendor}`, '--port=0']);
    expect(await run.exited).toBe(3);
    expect(run.stderr).toMatch(/^graphdb: storage node s1 cannot start: .* \[UNKNOWN_KEY\]\n$/);
    expect((await lm.usage()).leases).toEqual([]);
  });

  it('reads a flag file, verifies the license with the trust bundle, and shows its state on /status without the key', async () => {
    const flagfile = `${lm.world.dir}/storaged.conf`;
    writeFileSync(
      flagfile,
      `# as in nebula-storaged.conf\n--role=storage\n--node_id=s9\n--license_manager_url=${lm.addr}\n--trust=${lm.world.trustPath}\n--port=9\n`,
    );
    // --port on the command line wins over the file's.
    const s9 = await waitReady(spawnNode(['--flagfile', flagfile, '--port=0']), 'storage node s9');
    const status = await request(`${s9.url}/status`);
    expect(status).toMatchObject({
      status: 200,
      body: {
        product: 'graphdb',
        role: 'storage',
        nodeId: 's9',
        serving: true,
        license: { licensed: true, status: 'Normal', code: 'VALID', licenseId: 'lic_lmtest', nodes: { query: 2, storage: 2 } },
        seat: { leaseId: expect.stringMatching(/^lse_/) },
        storage: { keys: 0 },
      },
    });
    const text = JSON.stringify(status.body);
    expect(text).not.toContain(lm.lastKey!);
    expect(text).not.toMatch(/tessera-lease:|token/i);
  });
});
