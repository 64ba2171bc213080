/**
 * lm-ha: seat heartbeats and checkouts against a License Manager replica whose state is a shared PostgreSQL
 * database, beside a bare Fastify echo measured in the same run (before and after; the mean is the baseline), as
 * lm-seats measures the single License Manager on SQLite.
 *
 * - heartbeat: POST /v1/seats/heartbeat at the replica that checked the 500 leases out (the steady state: renewed
 *   in memory, written in one statement per second for the batch).
 * - heartbeat after a failover: each of FAILOVER_LEASES leases checked out at replica A is renewed once at replica
 *   B, which never renewed it: at the database, the heartbeats arriving together in one UPDATE (a fixed number of
 *   requests, each lease once; the rate is the answers over the run's time).
 * - checkout: a new node id per request at replica A (a transaction under the role's advisory lock).
 *
 * Two replicas, the bare server and PostgreSQL (stock settings, fsync on) share one core, the load generator has the
 * other. Every answer must be 2xx. Goal: heartbeat >= 0.3x bare.
 */
import { formatNumber } from '../lib/report.js';
import type { Benchmark, BenchResult, BenchRow, RunOptions } from '../lib/types.js';
import {
  benchInstance,
  BUSY_MACHINE_CORES,
  checkoutLeases,
  describeAnswers,
  getUsage,
  load,
  pinLoadGenerator,
  PRODUCT,
  startBareFastify,
  stopAll,
} from './lm-harness.js';
import type { LmProcess, LoadRun, ServerProcess } from './lm-harness.js';
import { loadLicenseEverywhere, makeReplicaWorld, startReplica } from './lm-replicas.js';
import { latencyNote, measuredSummary, measureLoad, rotatingRequests, runPlan, runSummary } from './measured-load.js';
import { findPostgresBin, startPostgres } from './postgres-cluster.js';
import type { PostgresCluster } from './postgres-cluster.js';

const CONNECTIONS = 50;
const HEARTBEAT_LEASES = 500;
const FAILOVER_LEASES = 10_000;
const MAX_NODES = 1_000_000;
const GOAL = { heartbeatRatio: 0.3 };
const JSON_HEADERS = { 'content-type': 'application/json' };

const post = (path: string, body: string) => ({ method: 'POST' as const, path, headers: JSON_HEADERS, body });

export const lmHa: Benchmark = {
  name: 'lm-ha',
  description:
    'License Manager replica on PostgreSQL: heartbeat (steady, and the first after a failover) and checkout req/s vs bare Fastify (autocannon, 50 connections); goal heartbeat >= 0.3x',
  async run(options: RunOptions): Promise<BenchResult> {
    const bin = findPostgresBin();
    if (!bin) {
      return {
        name: 'lm-ha',
        rows: [{ measure: 'skipped', value: 'no PostgreSQL', note: 'install the Debian package postgresql to run it' }],
        data: { skipped: 'no PostgreSQL server binaries under /usr/lib/postgresql' },
      };
    }
    const plan = runPlan(options.quick, { warmupSec: 2, durationSec: 10 });
    const pinning = pinLoadGenerator();
    const cpu = pinning?.server ?? null;
    let cluster: PostgresCluster | null = null;
    let bare: ServerProcess | null = null;
    let a: LmProcess | null = null;
    let b: LmProcess | null = null;
    let world: ReturnType<typeof makeReplicaWorld> | null = null;
    try {
      cluster = await startPostgres(bin, { cpu });
      world = makeReplicaWorld(cluster, { leaseTtlSeconds: 3600 });
      [bare, a, b] = await Promise.all([startBareFastify({ cpu }), startReplica(world, 0, { cpu }), startReplica(world, 1, { cpu })]);
      if (a.lmid !== b.lmid) throw new Error(`the replicas show two LMIDs: ${a.lmid}, ${b.lmid}`);
      await loadLicenseEverywhere(world, [a, b], { query: MAX_NODES, storage: MAX_NODES, failover: MAX_NODES });
      const leaseIds = await checkoutLeases(a.url, 'query', HEARTBEAT_LEASES, 'hb-node');
      const bodies = leaseIds.map((leaseId, i) => JSON.stringify({ leaseId, instance: benchInstance('hb-node', i) }));
      const failoverCount = options.quick ? 1000 : FAILOVER_LEASES;
      const failoverIds = await checkoutLeases(a.url, 'failover', failoverCount, 'fo-node');
      const common = { connections: CONNECTIONS, databaseCpuSeconds: cluster.cpuSeconds };

      const echo = rotatingRequests(
        bodies.map((body) => post('/echo', body)),
        CONNECTIONS,
      );
      const bareEchoBefore = await measureLoad('bare-echo-1', bare, plan, { ...common, ...echo });
      const heartbeat = await measureLoad('heartbeat', a, plan, {
        ...common,
        ...rotatingRequests(
          bodies.map((body) => post('/v1/seats/heartbeat', body)),
          CONNECTIONS,
        ),
      });
      const heldAfterHeartbeat = (await getUsage(a.url)).roles.query?.used ?? 0;

      // Each failover lease once at B, which never renewed it: every one of these heartbeats is one UPDATE.
      const failover = await load({
        title: 'heartbeat after a failover',
        url: b.url,
        serverPid: b.pid,
        ...common,
        amount: failoverIds.length,
        requests: failoverIds.map((leaseId, i) =>
          post('/v1/seats/heartbeat', JSON.stringify({ leaseId, instance: benchInstance('fo-node', i) })),
        ),
      });
      // A fixed number of requests, often done in under a second: the rate is the answers over the run's time.
      const failoverRate = failover.responses / Math.max(failover.seconds, 0.001);
      console.error(
        `  heartbeat after a failover: ${formatNumber(failoverRate)} req/s, ${latencyNote(failover)}, ${describeAnswers(failover)}`,
      );

      let node = 0;
      const checkout = await measureLoad('checkout', a, plan, {
        ...common,
        requests: [
          {
            method: 'POST',
            path: '/v1/seats/checkout',
            headers: JSON_HEADERS,
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({
                product: PRODUCT,
                role: 'storage',
                nodeId: `co-node-${node}`,
                instance: benchInstance('co-node', node++),
              }),
            }),
          },
        ],
      });
      const bareEchoAfter = await measureLoad('bare-echo-2', bare, plan, { ...common, ...echo });

      const baseline = (bareEchoBefore.run.requestsPerSec + bareEchoAfter.run.requestsPerSec) / 2;
      const ratio = (run: LoadRun) => run.requestsPerSec / baseline;
      const heartbeatMet = heartbeat.clean && heldAfterHeartbeat === HEARTBEAT_LEASES && ratio(heartbeat.run) >= GOAL.heartbeatRatio;
      const allClean = [bareEchoBefore, heartbeat, checkout, bareEchoAfter].every((m) => m.clean) && failover.clean;
      const failoverAll = failover.ok2xx === failoverIds.length;
      const rows: BenchRow[] = [
        {
          measure: 'bare fastify POST /echo (baseline)',
          opsPerSec: baseline,
          note: `mean of ${formatNumber(bareEchoBefore.run.requestsPerSec)}, ${formatNumber(bareEchoAfter.run.requestsPerSec)}; ${latencyNote(bareEchoBefore.run)}`,
        },
        {
          measure: 'replica POST /v1/seats/heartbeat',
          opsPerSec: heartbeat.run.requestsPerSec,
          note: `${latencyNote(heartbeat.run)}; ${describeAnswers(heartbeat.run)}`,
        },
        {
          measure: 'heartbeat ratio to bare',
          value: `${ratio(heartbeat.run).toFixed(3)}x`,
          note: `goal >= ${GOAL.heartbeatRatio}x: ${heartbeatMet ? 'met' : 'NOT MET'}`,
        },
        {
          measure: 'heartbeat after a failover (at the database)',
          opsPerSec: failoverRate,
          note: `${(failoverRate / baseline).toFixed(3)}x bare; ${latencyNote(failover)}; ${describeAnswers(failover)} of ${failoverIds.length}`,
        },
        {
          measure: 'replica POST /v1/seats/checkout',
          opsPerSec: checkout.run.requestsPerSec,
          note: `${ratio(checkout.run).toFixed(3)}x bare; ${latencyNote(checkout.run)}; ${describeAnswers(checkout.run)}`,
        },
      ];
      const busy = [bareEchoBefore, heartbeat, checkout, bareEchoAfter].filter((m) => (m.run.cpu.others ?? 0) > BUSY_MACHINE_CORES);
      if (busy.length > 0)
        rows.push({ measure: 'DISTURBED', value: 'machine busy', note: 'other processes used the CPU: rerun on a quiet machine' });
      if (!allClean || !failoverAll)
        rows.push({ measure: 'FLAGGED', value: 'non-2xx/errors', note: 'a run had non-2xx answers or errors (see the json)' });
      if (pinning === null) rows.push({ measure: 'note', value: 'not pinned', note: 'servers and load generator share the CPUs' });
      return {
        name: 'lm-ha',
        rows,
        goal: { text: `heartbeat >= ${GOAL.heartbeatRatio}x bare; all 2xx`, met: heartbeatMet && allClean && failoverAll },
        data: {
          description: lmHa.description,
          quick: options.quick,
          postgres: cluster.version,
          replicas: 2,
          connections: CONNECTIONS,
          warmupSeconds: plan.warmupSec,
          durationSeconds: plan.durationSec,
          pinning: pinning
            ? { serverCpu: pinning.server, loadGeneratorCpu: pinning.loadGenerator, sharedByServersAndDatabase: true }
            : null,
          heartbeatLeases: HEARTBEAT_LEASES,
          failoverLeases: failoverIds.length,
          baseline: { requestsPerSec: Math.round(baseline), runs: 'mean of bare-echo before and after the replica' },
          ratios: { heartbeat: ratio(heartbeat.run), heartbeatAfterFailover: failoverRate / baseline, checkout: ratio(checkout.run) },
          checks: { heartbeatLeasesStillHeld: heldAfterHeartbeat, failoverHeartbeats2xx: failover.ok2xx, checkoutsSent: node },
          runs: {
            bareEchoBefore: measuredSummary(bareEchoBefore),
            heartbeat: measuredSummary(heartbeat),
            heartbeatAfterFailover: { ...runSummary(failover), requestsPerSec: Math.round(failoverRate) },
            checkout: measuredSummary(checkout),
            bareEchoAfter: measuredSummary(bareEchoAfter),
          },
        },
      };
    } finally {
      await stopAll(bare, a, b);
      cluster?.stop();
      pinning?.restore();
      world?.cleanup();
    }
  },
};
