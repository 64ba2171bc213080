/** graphdb nodes against a real License Manager: refusals at start, the role limit, a lapse and its recovery, stopping. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRoot } from '../../../packages/manager/test/support/world.js';
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
    expect(run.stderr).toMatch(new RegExp(`^graphdb: ${role} node ${nodeId} cannot start: .*No license is loaded.* \\[NO_LICENSE\\]\\n$`));
    expect((await lm.usage()).leases).toEqual([]);
  });
});

describe('a License Manager that is not there', () => {
  it('refuses to start with LM_UNREACHABLE, exit 3', async () => {
    const run = spawnNode(['--role=storage', '--node-id=s1', '--license_manager_url=127.0.0.1:9', '--port=0']);
    expect(await run.exited).toBe(3);
    expect(run.stderr).toMatch(/^graphdb: storage node s1 cannot start: .* \[LM_UNREACHABLE\]\n$/);
  });
});

describe('the vendor root, compiled in', () => {
  it('a leftover --trust exits 2 saying the root is compiled in, before asking the License Manager', async () => {
    await lm.load();
    const run = spawnNode([
      '--role=storage',
      '--node-id=s1',
      `--license_manager_url=${lm.addr}`,
      `--trust=${lm.world.trustPath}`,
      '--port=0',
    ]);
    expect(await run.exited).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^graphdb: --trust is no longer a flag: graphdb trusts only the vendor's root key compiled into it/);
    expect(run.stderr).not.toMatch(/usage: .*--trust/);
    expect((await lm.usage()).leases).toEqual([]);
  });

  it('a copy built without a root (plain tsc output) refuses to start, saying how to build it', async () => {
    await lm.load();
    const unbuilt = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    const run = spawnNode(nodeArgs('storage', 's1', lm), unbuilt);
    expect(await run.exited).toBe(1);
    expect(run.stderr).toMatch(
      /^graphdb: this copy of graphdb was built without the vendor's root key; build it with: npx tsx scripts\/build-product.ts/,
    );
    expect((await lm.usage()).leases).toEqual([]);
  });

  it('refuses to start against a License Manager whose trust bundle another root signed, however valid its license', async () => {
    const other = await startLm(makeRoot());
    try {
      await other.load();
      const run = spawnNode(nodeArgs('storage', 's1', other));
      expect(await run.exited).toBe(3);
      expect(run.stderr).toMatch(
        /^graphdb: storage node s1 cannot start: .*not a root this product was built with.* \[UNTRUSTED_ROOT\]\n$/,
      );
      expect((await other.usage()).leases).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe('bad flags', () => {
  it('exits 2 with a sentence naming the flag, before asking the License Manager', async () => {
    const missing = spawnNode(['--role=storage', '--node-id=s1']);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr).toMatch(/^graphdb: --license_manager_url is missing: .*\nusage: graphdb /);
    const role = spawnNode(['--role=meta', '--node-id=m1', `--license_manager_url=${lm.addr}`]);
    expect(await role.exited).toBe(2);
    expect(role.stderr).toMatch(/^graphdb: --role must be query or storage, not "meta"/);
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

  it('reads a flag file, verifies the license up to its root, and shows its state on /status without the key', async () => {
    const flagfile = `${lm.world.dir}/storaged.conf`;
    writeFileSync(flagfile, `# as in nebula-storaged.conf\n--role=storage\n--node_id=s9\n--license_manager_url=${lm.addr}\n--port=9\n`);
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
