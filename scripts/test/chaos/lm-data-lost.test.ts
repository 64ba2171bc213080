/**
 * Chaos: a License Manager whose data was lost comes back while its nodes run. It knows none of their leases, so each
 * node's next heartbeat hears LEASE_NOT_FOUND and checks out again; the role's limit holds throughout, also against
 * nodes that start at the same moment and race for the seats.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Connection } from '@tessera/sdk';
import type { World } from '../../../packages/manager/test/support/world.js';
import { freePort } from '../../postgres-cluster.js';
import {
  backUp,
  chaosWorld,
  createDatabase,
  getJson,
  licenseOf,
  loadKey,
  node,
  serveLm,
  startLm,
  until,
  watchUnlicensed,
  writeLmConfig,
} from './support.js';
import type { LmProcess } from './support.js';

const adminUrl = inject('postgresUrl');

let world: World;
let db: Awaited<ReturnType<typeof createDatabase>> | null = null;
const lms: LmProcess[] = [];
const nodes: Connection[] = [];

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close().catch(() => {})));
  await Promise.all(lms.splice(0).map((lm) => lm.kill9()));
  await db?.drop();
  db = null;
  world.cleanup();
});

/** Reads the seats in use at `url` every 25 ms until stopped; answers the most it saw. */
function watchUsed(url: string): { stop(): Promise<number> } {
  let most = 0;
  let watching = true;
  const loop = (async () => {
    while (watching) {
      const used = await getJson(`${url}/v1/usage`).then(
        (u) => u.roles?.query?.used ?? 0,
        () => 0,
      );
      most = Math.max(most, used);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return {
    async stop() {
      watching = false;
      await loop;
      return most;
    },
  };
}

describe('a License Manager whose data was lost comes back', () => {
  it(
    'a single one restored from a backup without the leases: running nodes take seats again, racers included, never more than 3',
    { timeout: 90_000 },
    async () => {
      world = chaosWorld();
      const { file, dataPath } = writeLmConfig(world, { port: await freePort(), leaseTtlSeconds: 5 });
      let lm = await serveLm(file, dataPath);
      lms.push(lm);
      await loadKey(lm, licenseOf(world, lm.lmid, { nodes: { query: 3 }, outageGraceHours: 72 }));
      // The backup the operator took before the nodes started: the license, no leases.
      await lm.stop();
      const restore = backUp(dataPath, join(world.dir, 'backup'));
      lm = await serveLm(file, dataPath);
      lms.splice(0, 1, lm);
      const running = await Promise.all(['q1', 'q2', 'q3'].map((id) => node(world, [lm.url], id, { heartbeatMs: 300 })));
      nodes.push(...running);
      const before = running.map((n) => n.status().seat!.leaseId);

      await lm.kill9();
      restore();
      lm = await serveLm(file, dataPath);
      lms.splice(0, 1, lm);
      const used = watchUsed(lm.url);
      // Two more nodes start as it comes back, and race the running ones for the three seats.
      const racers = await Promise.allSettled(['q4', 'q5'].map((id) => node(world, [lm.url], id, { heartbeatMs: 300 })));
      for (const racer of racers) if (racer.status === 'fulfilled') nodes.push(racer.value);

      await until(
        () => getJson(`${lm.url}/v1/usage`),
        (u) => u.roles.query.used === 3 && nodes.filter((n) => n.status().licensed).length === 3,
        'three seats held, and three nodes licensed',
      );
      expect(await used.stop()).toBeLessThanOrEqual(3);
      // The three seats the License Manager holds are exactly the nodes that say they are licensed.
      const byId = new Map<string, Connection>(running.map((n, i) => [`q${i + 1}`, n]));
      racers.forEach((r, i) => r.status === 'fulfilled' && byId.set(`q${4 + i}`, r.value));
      const licensedIds = [...byId].filter(([, n]) => n.status().licensed).map(([id]) => id);
      const held = (await getJson(`${lm.url}/v1/usage`)).leases.map((l: { nodeId: string }) => l.nodeId);
      expect(held.sort()).toEqual(licensedIds.sort());
      // A running node licensed again took a new seat; one that is not was refused (TOO_MANY_NODES), not left silent.
      for (const n of running) {
        if (n.status().licensed) expect(before).not.toContain(n.status().seat!.leaseId);
        else expect(n.status().code).toBe('TOO_MANY_NODES');
      }
    },
  );

  it.skipIf(!adminUrl)(
    'replicas whose database lost the leases: the running nodes take seats again at once, strict, none unlicensed',
    { timeout: 90_000 },
    async () => {
      world = chaosWorld();
      db = await createDatabase(adminUrl!);
      const [a, b] = await Promise.all([
        startLm(world, { index: 1, leaseTtlSeconds: 6, databaseUrl: db.url }),
        startLm(world, { index: 2, leaseTtlSeconds: 6, databaseUrl: db.url }),
      ]);
      lms.push(a, b);
      await loadKey(a, licenseOf(world, a.lmid, { nodes: { query: 10 }, outageGraceHours: 0 }));
      await until(
        () => getJson(`${b.url}/v1/info`),
        (info) => info.status === 'Normal',
        'the license in force at b',
      );
      nodes.push(
        ...(await Promise.all(Array.from({ length: 10 }, (_, i) => node(world, i % 2 ? [a.url, b.url] : [b.url, a.url], `q${i}`)))),
      );
      const before = nodes.map((n) => n.status().seat!.leaseId);
      const unlicensed = watchUnlicensed(nodes);
      const used = watchUsed(a.url);

      await db.query('DELETE FROM tessera_lm_leases');
      await until(
        () => nodes.filter((n, i) => n.status().seat && n.status().seat!.leaseId !== before[i]).length,
        (renewed) => renewed === 10,
        'every node on a new seat',
      );
      expect(unlicensed.moments).toEqual([]);
      expect(await used.stop()).toBeLessThanOrEqual(10);
      const [{ live }] = await db.query('SELECT count(*)::int AS live FROM tessera_lm_leases WHERE expires_at > $1', [Date.now()]);
      expect(live).toBe(10);
    },
  );
});
