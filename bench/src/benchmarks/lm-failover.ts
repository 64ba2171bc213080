/**
 * lm-failover: how long a node goes without a renewal when the License Manager replica it talks to is killed. Two
 * replicas (the built binary, sharing a throwaway PostgreSQL) and 100 nodes: SDK connections in this process given
 * both addresses, heartbeating every second. The replica they all talk to is killed with SIGKILL; per node, the time
 * from the kill to its next successful heartbeat at the other replica (the first lease token it verified that the
 * other replica signed after the kill; status() read every 10 ms). The killed replica is started again and the next
 * round kills the other one, ROUNDS times. Goal: p99 <= 2 s.
 */
import { parseEnvelope } from '@tessera/core';
import { connect } from '@tessera/sdk';
import type { Connection } from '@tessera/sdk';
import type { Benchmark, BenchResult, RunOptions } from '../lib/types.js';
import { median } from '../lib/measure.js';
import { pinLoadGenerator, stopAll } from './lm-harness.js';
import type { LmProcess } from './lm-harness.js';
import { loadLicenseEverywhere, makeReplicaWorld, startReplica } from './lm-replicas.js';
import { findPostgresBin, startPostgres } from './postgres-cluster.js';
import type { PostgresCluster } from './postgres-cluster.js';

const NODES = 100;
const ROUNDS = 3;
const HEARTBEAT_MS = 1000;
const LEASE_TTL_SECONDS = 10;
const GOAL_P99_MS = 2000;
const POLL_MS = 10;

const issuedAtOf = (token: string | undefined): number => {
  const read = token ? parseEnvelope(token, 'lease') : null;
  return read?.ok ? Date.parse(read.value.payload.issuedAt as string) : 0;
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Per node, ms from `killedAt` to the first status() whose lease token was signed after it; null if none within `limitMs`. */
async function timesToRenewal(nodes: Connection[], killedAt: number, limitMs: number): Promise<(number | null)[]> {
  const times: (number | null)[] = nodes.map(() => null);
  while (Date.now() - killedAt < limitMs && times.some((t) => t === null)) {
    nodes.forEach((n, i) => {
      if (times[i] === null && issuedAtOf(n.status().seat?.token) > killedAt) times[i] = Date.now() - killedAt;
    });
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return times;
}

export const lmFailover: Benchmark = {
  name: 'lm-failover',
  description: `kill -9 the License Manager replica ${NODES} SDK nodes heartbeat at (every ${HEARTBEAT_MS} ms): per node, the time to its next successful heartbeat at the other replica; goal p99 <= 2 s`,
  async run(options: RunOptions): Promise<BenchResult> {
    const bin = findPostgresBin();
    if (!bin) {
      return {
        name: 'lm-failover',
        rows: [{ measure: 'skipped', value: 'no PostgreSQL', note: 'install the Debian package postgresql to run it' }],
        data: { skipped: 'no PostgreSQL server binaries under /usr/lib/postgresql' },
      };
    }
    const rounds = options.quick ? 1 : ROUNDS;
    const pinning = pinLoadGenerator();
    const cpu = pinning?.server ?? null;
    let cluster: PostgresCluster | null = null;
    let world: ReturnType<typeof makeReplicaWorld> | null = null;
    const replicas: (LmProcess | null)[] = [null, null];
    const nodes: Connection[] = [];
    try {
      cluster = await startPostgres(bin, { cpu });
      world = makeReplicaWorld(cluster, { leaseTtlSeconds: LEASE_TTL_SECONDS });
      const w = world;
      [replicas[0], replicas[1]] = await Promise.all([startReplica(w, 0, { cpu }), startReplica(w, 1, { cpu })]);
      // Both replicas keep their addresses across restarts: each is started again on the port it had.
      const urls = replicas.map((r) => r!.url);
      await loadLicenseEverywhere(w, [replicas[0]!, replicas[1]!], { query: NODES });
      const root = w.rootText!;
      nodes.push(
        ...(await Promise.all(
          Array.from({ length: NODES }, (_, i) =>
            connect({ url: urls, product: 'graphdb', role: 'query', nodeId: `q${i}`, root, heartbeatMs: HEARTBEAT_MS, timeoutMs: 1000 }),
          ),
        )),
      );
      const samples: number[] = [];
      const perRound: { killed: string; p50: number; p99: number; max: number; missing: number }[] = [];
      for (let round = 0; round < rounds; round++) {
        const victim = round % 2;
        // Let every node settle on the live replica it talks to (a round after the last restart), then kill it.
        await new Promise((resolve) => setTimeout(resolve, 2 * HEARTBEAT_MS));
        const killedAt = Date.now();
        await replicas[victim]!.kill9();
        const times = await timesToRenewal(nodes, killedAt, LEASE_TTL_SECONDS * 1000);
        const got = times.filter((t): t is number => t !== null).sort((a, b) => a - b);
        samples.push(...got);
        perRound.push({
          killed: urls[victim]!,
          p50: got.length ? percentile(got, 0.5) : NaN,
          p99: got.length ? percentile(got, 0.99) : NaN,
          max: got.at(-1) ?? NaN,
          missing: times.length - got.length,
        });
        console.error(
          `  round ${round + 1}: killed ${urls[victim]}: p50 ${perRound.at(-1)!.p50} ms, p99 ${perRound.at(-1)!.p99} ms, ${perRound.at(-1)!.missing} without a renewal`,
        );
        replicas[victim] = await startReplica(w, victim, { cpu, port: Number(new URL(urls[victim]!).port) });
      }
      const sorted = [...samples].sort((a, b) => a - b);
      const missing = perRound.reduce((sum, r) => sum + r.missing, 0);
      const p99 = sorted.length ? percentile(sorted, 0.99) : NaN;
      const met = missing === 0 && p99 <= GOAL_P99_MS;
      return {
        name: 'lm-failover',
        rows: [
          {
            measure: 'time to the next heartbeat elsewhere, p50',
            value: `${median(sorted)} ms`,
            note: `${sorted.length} nodes over ${rounds} kills`,
          },
          {
            measure: 'time to the next heartbeat elsewhere, p99',
            value: `${p99} ms`,
            note: `goal <= ${GOAL_P99_MS} ms: ${met ? 'met' : 'NOT MET'}`,
          },
          {
            measure: 'time to the next heartbeat elsewhere, max',
            value: `${sorted.at(-1)} ms`,
            note: `heartbeat every ${HEARTBEAT_MS} ms, so about half of it is waiting for the next one`,
          },
          ...(missing > 0
            ? [{ measure: 'FLAGGED', value: `${missing} nodes`, note: `no renewal within the lease (${LEASE_TTL_SECONDS} s)` }]
            : []),
        ],
        goal: { text: `p99 <= ${GOAL_P99_MS} ms, every node renewed`, met },
        data: {
          description: lmFailover.description,
          quick: options.quick,
          postgres: cluster.version,
          nodes: NODES,
          rounds,
          heartbeatMs: HEARTBEAT_MS,
          leaseTtlSeconds: LEASE_TTL_SECONDS,
          pollMs: POLL_MS,
          pinning: pinning ? { replicasAndDatabaseCpu: pinning.server, nodesCpu: pinning.loadGenerator } : null,
          msToNextHeartbeatElsewhere: {
            p50: median(sorted),
            p90: percentile(sorted, 0.9),
            p99,
            max: sorted.at(-1),
            min: sorted[0],
          },
          perRound,
          missing,
        },
      };
    } finally {
      await Promise.all(nodes.map((n) => n.close().catch(() => {})));
      await stopAll(...replicas);
      cluster?.stop();
      pinning?.restore();
      world?.cleanup();
    }
  },
};
