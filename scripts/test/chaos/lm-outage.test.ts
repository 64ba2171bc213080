/**
 * Chaos: a single License Manager (a process) is killed and stays away for three lease TTLs while graphdb nodes
 * (processes built with the vendor's root) serve. Their license carries a 72-hour outage grace: the nodes keep
 * answering 200, saying Degraded in their headers once their lease has run out; a node started meanwhile is refused
 * with a sentence (it never had a seat); when the License Manager is back at its address, all is as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, requestWithHeaders, spawnNode, VENDOR_ROOT, waitReady } from '../../../examples/graphdb/test/support/graphdb.js';
import type { ReadyNode } from '../../../examples/graphdb/test/support/graphdb.js';
import type { World } from '../../../packages/manager/test/support/world.js';
import { freePort } from '../../postgres-cluster.js';
import { chaosWorld, getJson, licenseOf, loadKey, serveLm, until, writeLmConfig } from './support.js';
import type { LmProcess } from './support.js';

const TTL_SECONDS = 5;

let world: World;
let lm: LmProcess | null = null;

beforeAll(() => {
  world = chaosWorld(VENDOR_ROOT);
});
afterAll(async () => {
  await killAll();
  await lm?.kill9();
  world.cleanup();
});

const args = (role: string, nodeId: string, addr: string) => [
  '--role',
  role,
  '--node-id',
  nodeId,
  `--license_manager_url=${addr}`,
  '--port=0',
];

describe('a single License Manager stopped for three lease TTLs while graphdb nodes serve', () => {
  it(
    'keeps the nodes answering 200 (Degraded), refuses a new node with a sentence, and is normal again when back',
    { timeout: 90_000 },
    async () => {
      const { file, dataPath } = writeLmConfig(world, { port: await freePort(), leaseTtlSeconds: TTL_SECONDS });
      lm = await serveLm(file, dataPath);
      await loadKey(lm, licenseOf(world, lm.lmid, { nodes: { query: 2, storage: 2 }, outageGraceHours: 72 }));
      const addr = `127.0.0.1:${lm.port}`;
      const storage = await waitReady(spawnNode(args('storage', 's1', addr)), 'storage node s1');
      const query = await waitReady(spawnNode([...args('query', 'q1', addr), `--storage_addrs=${storage.url.slice(7)}`]), 'query node q1');
      expect((await requestWithHeaders(`${storage.url}/kv/k`, { method: 'PUT', body: 'kept' })).status).toBe(200);
      const ask = (node: ReadyNode) =>
        node === storage
          ? requestWithHeaders(`${storage.url}/kv/k`)
          : requestWithHeaders(`${query.url}/query`, { method: 'POST', body: 'FETCH "k"' });

      await lm.kill9();
      const stoppedAt = Date.now();
      // A node started now is refused at once: it never had a seat, so it has no grace.
      const late = spawnNode(args('storage', 's2', addr));
      expect(await late.exited).toBe(3);
      expect(late.stderr).toMatch(/graphdb: storage node s2 cannot start: .*License Manager.* \[LM_UNREACHABLE\]/);

      // Three lease TTLs without a License Manager: every answer of both nodes is 200, Degraded once the lease ran out.
      const statuses = new Set<string>();
      let asked = 0;
      while (Date.now() - stoppedAt < 3 * TTL_SECONDS * 1000) {
        for (const node of [storage, query]) {
          const answer = await ask(node);
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          statuses.add(answer.license['x-license-status']!);
          asked++;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(asked).toBeGreaterThan(20);
      expect(statuses).toContain('Degraded');
      const degraded = await ask(storage);
      expect(degraded.license).toMatchObject({ 'x-license-status': 'Degraded', 'x-license-code': 'LM_UNREACHABLE' });
      expect(Date.parse(degraded.license['x-license-grace-ends']!)).toBeGreaterThan(stoppedAt + 71 * 3_600_000);

      // Back at its address: the nodes take their seats again and say Normal; a new node starts.
      lm = await serveLm(file, dataPath);
      for (const node of [storage, query]) {
        await until(
          () => ask(node),
          (answer) => answer.status === 200 && answer.license['x-license-status'] === 'Normal',
          'Normal again',
        );
      }
      const usage = await until(
        () => getJson(`${lm!.url}/v1/usage`),
        (u) => u.leases.length === 2,
        'both seats held at the LM',
      );
      expect(usage.leases.map((l: { nodeId: string }) => l.nodeId).sort()).toEqual(['q1', 's1']);
      const fresh = await waitReady(spawnNode(args('storage', 's3', addr)), 'storage node s3');
      expect((await requestWithHeaders(`${fresh.url}/kv/x`)).license['x-license-status']).toBe('Normal');
    },
  );
});
