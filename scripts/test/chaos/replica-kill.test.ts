/**
 * Chaos: two License Manager replicas (processes) share one PostgreSQL database; 100 nodes (SDK connections given
 * both addresses) heartbeat at the first; it is killed with SIGKILL. The license is strict (outageGraceHours 0), so
 * no grace hides a failover that comes late: every node must renew at the other replica within its lease.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { parseEnvelope } from '@tessera/core';
import type { Connection } from '@tessera/sdk';
import type { World } from '../../../packages/manager/test/support/world.js';
import { chaosWorld, createDatabase, getJson, licenseOf, loadKey, node, startLm, until, watchUnlicensed } from './support.js';
import type { LmProcess } from './support.js';

const adminUrl = inject('postgresUrl');
const TTL_SECONDS = 6;
const NODES = 100;

let world: World;
let db: Awaited<ReturnType<typeof createDatabase>>;
const lms: LmProcess[] = [];
const nodes: Connection[] = [];

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close().catch(() => {})));
  await Promise.all(lms.splice(0).map((lm) => lm.kill9()));
  await db?.drop();
  world?.cleanup();
});

const issuedAt = (token: string | undefined) => {
  const read = token ? parseEnvelope(token, 'lease') : null;
  return read?.ok ? Date.parse(read.value.payload.issuedAt as string) : 0;
};

describe.skipIf(!adminUrl)('kill -9 one of two replicas while 100 nodes heartbeat', () => {
  it(
    'leaves no node unlicensed at any moment, keeps every lease, and never grants more seats than the role has',
    { timeout: 90_000 },
    async () => {
      db = await createDatabase(adminUrl!);
      world = chaosWorld();
      const a = await startLm(world, { index: 1, leaseTtlSeconds: TTL_SECONDS, databaseUrl: db.url });
      lms.push(a);
      const b = await startLm(world, { index: 2, leaseTtlSeconds: TTL_SECONDS, databaseUrl: db.url });
      lms.push(b);
      expect(b.lmid).toBe(a.lmid);
      await loadKey(a, licenseOf(world, a.lmid, { nodes: { query: NODES }, outageGraceHours: 0 }));
      await until(
        () => getJson(`${b.url}/v1/info`),
        (info) => info.status === 'Normal',
        'the license in force at b',
      );

      nodes.push(...(await Promise.all(Array.from({ length: NODES }, (_, i) => node(world, [a.url, b.url], `q${i}`)))));
      const leases = nodes.map((n) => n.status().seat!.leaseId);
      expect(new Set(leases).size).toBe(NODES);
      const unlicensed = watchUnlicensed(nodes);

      // The seats in use, read from the database all along: never more than the role has.
      let most = 0;
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const [{ used }] = await db.query('SELECT count(*)::int AS used FROM tessera_lm_leases WHERE role = $1 AND expires_at > $2', [
            'query',
            Date.now(),
          ]);
          most = Math.max(most, used);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      })();

      const killedAt = Date.now();
      await a.kill9();
      // Nodes started during the failover find the role full at b.
      const late = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => node(world, [b.url], `late${i}`)));
      for (const outcome of late) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'TOO_MANY_NODES' } });

      // Every node renews at b: a lease token b signed after the kill.
      await until(
        () => nodes.filter((n) => issuedAt(n.status().seat?.token) > killedAt).length,
        (renewed) => renewed === NODES,
        'every node renewed at the other replica',
        20_000,
      );
      watching = false;
      await watcher;

      expect(unlicensed.moments).toEqual([]);
      expect(nodes.every((n) => n.status().licensed)).toBe(true);
      expect(nodes.map((n) => n.status().seat!.leaseId)).toEqual(leases);
      expect(most).toBeLessThanOrEqual(NODES);
      const held = await db.query('SELECT id FROM tessera_lm_leases WHERE role = $1 AND expires_at > $2', ['query', Date.now()]);
      expect(held.map((row) => row.id).sort()).toEqual([...leases].sort());
      expect((await getJson(`${b.url}/v1/usage`)).roles.query).toEqual({ total: NODES, used: NODES, free: 0 });
      // b lists a as not live once it has not been seen for 10 s.
      const info = await until(
        () => getJson(`${b.url}/v1/info`),
        (i) => i.replicas.some((r: { port: number; live: boolean }) => r.port === a.port && !r.live),
        'the killed replica listed as not live',
      );
      expect(info.replicas.find((r: { self: boolean }) => r.self)).toMatchObject({ port: b.port, live: true });
    },
  );
});
