/**
 * Chaos: the PostgreSQL server under two License Manager replicas (processes) stops as a crash would and starts
 * again. This file runs its own throwaway cluster, so the one the other test files share never goes away. The
 * replicas recover by themselves (their pools reconnect; renewals kept in memory meanwhile are written), and no node
 * is unlicensed: the license is strict (outageGraceHours 0), so no grace covers for them.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseEnvelope } from '@tessera/core';
import type { Connection } from '@tessera/sdk';
import type { World } from '../../../packages/manager/test/support/world.js';
import { startPostgresCluster } from '../../postgres-cluster.js';
import type { PostgresCluster } from '../../postgres-cluster.js';
import { chaosWorld, createDatabase, getJson, licenseOf, loadKey, node, startLm, until, watchUnlicensed } from './support.js';
import type { LmProcess } from './support.js';

const withPostgres = inject('postgresUrl') !== null;
const TTL_SECONDS = 8;
const NODES = 20;

let cluster: PostgresCluster;
let world: World;
let db: Awaited<ReturnType<typeof createDatabase>>;
const lms: LmProcess[] = [];
const nodes: Connection[] = [];

beforeAll(async () => {
  if (!withPostgres) return;
  // Durable, as a real server is: what was committed before the crash is there after it.
  cluster = await startPostgresCluster({ durable: true });
});
afterAll(async () => {
  if (!withPostgres) return;
  await Promise.all(nodes.splice(0).map((n) => n.close().catch(() => {})));
  await Promise.all(lms.splice(0).map((lm) => lm.kill9()));
  await db?.drop();
  cluster?.stop();
  world?.cleanup();
});

const issuedAt = (token: string | undefined) => {
  const read = token ? parseEnvelope(token, 'lease') : null;
  return read?.ok ? Date.parse(read.value.payload.issuedAt as string) : 0;
};

describe.skipIf(!withPostgres)('restarting the PostgreSQL server under two replicas', () => {
  it(
    'is ridden out: no node unlicensed, and the replicas write, grant and list themselves again by themselves',
    { timeout: 90_000 },
    async () => {
      db = await createDatabase(cluster.url);
      world = chaosWorld();
      const [a, b] = await Promise.all([
        startLm(world, { index: 1, leaseTtlSeconds: TTL_SECONDS, databaseUrl: db.url }),
        startLm(world, { index: 2, leaseTtlSeconds: TTL_SECONDS, databaseUrl: db.url }),
      ]);
      lms.push(a, b);
      await loadKey(a, licenseOf(world, a.lmid, { nodes: { query: NODES + 1 }, outageGraceHours: 0 }));
      await until(
        () => getJson(`${b.url}/v1/info`),
        (info) => info.status === 'Normal',
        'the license in force at b',
      );
      nodes.push(
        ...(await Promise.all(
          Array.from({ length: NODES }, (_, i) => node(world, i % 2 === 0 ? [a.url, b.url] : [b.url, a.url], `q${i}`)),
        )),
      );
      const leases = nodes.map((n) => n.status().seat!.leaseId);
      const unlicensed = watchUnlicensed(nodes);

      await cluster.restart();
      const back = Date.now();

      // Renewals written again: every lease's expiry in the database moves past the restart.
      await until(
        async () => (await db.query('SELECT min(expires_at)::bigint AS oldest FROM tessera_lm_leases'))[0].oldest,
        (oldest) => Number(oldest) > back + (TTL_SECONDS * 1000) / 2,
        'every lease written after the restart',
      );
      // Both replicas tick again (their rows), and a node started now gets a seat (a checkout, a transaction).
      await until(
        async () => (await db.query('SELECT min(last_seen_at)::bigint AS seen FROM tessera_lm_replicas'))[0].seen,
        (seen) => Number(seen) > back,
        'both replicas seen after the restart',
      );
      nodes.push(await node(world, [b.url, a.url], 'after'));
      // Every node renewed after the restart, with the lease it had.
      await until(
        () => nodes.slice(0, NODES).filter((n) => issuedAt(n.status().seat?.token) > back).length,
        (renewed) => renewed === NODES,
        'every node renewed after the restart',
      );
      expect(unlicensed.moments).toEqual([]);
      expect(nodes.slice(0, NODES).map((n) => n.status().seat!.leaseId)).toEqual(leases);
      expect((await getJson(`${a.url}/v1/usage`)).roles.query).toEqual({ total: NODES + 1, used: NODES + 1, free: 0 });
    },
  );
});
