/**
 * lc-sync: License Manager syncs per second (POST /v1/lm/sync, docs/sync-protocol.md) against the real License
 * Center, on SQLite (the goals) and on PostgreSQL (reported, no goal), beside a bare Fastify hello measured in the
 * same run (before and after; the mean is the baseline).
 *
 * - unchanged: the request's `known` is the license's current id and serial; LC answers { changed: false, time }.
 * - changed: `known` is null or an older serial (alternately); LC answers with the stored signed license text.
 *
 * 100 online licenses, each bound to its own LM identity; every connection cycles through the 100 LMs' requests
 * (same state, same bytes, as real LMs send them). The License Center is the built binary in a child process, its
 * sync budgets raised to the most the configuration takes (the limiters still run, so their cost is measured); on
 * PostgreSQL a throwaway cluster pinned to the License Center's core. Every answer must be 2xx.
 * Goals (SQLite): unchanged >= 0.5x bare, changed >= 0.2x bare.
 */
import { parseTrustBundle, readLicense } from '@tessera/core';
import type { TrustBundle } from '@tessera/core';
import { formatNumber } from '../lib/report.js';
import type { Benchmark, BenchResult, BenchRow, RunOptions } from '../lib/types.js';
import {
  latencyNote,
  makeCenterWorld,
  makeLm,
  measuredSummary,
  measureLoad,
  openCenterServices,
  rotatingRequests,
  runPlan,
  startCenterProcess,
  syncBody,
  UNLIMITED_PER_MINUTE,
  unwrap,
} from './lc-harness.js';
import type { CenterWorld, Measured, RunPlan } from './lc-harness.js';
import { BUSY_MACHINE_CORES, describeAnswers, pinLoadGenerator, startBareFastify, stopAll } from './lm-harness.js';
import type { ServerProcess } from './lm-harness.js';
import { findPostgresBin, startPostgres } from './postgres-cluster.js';
import type { PostgresCluster } from './postgres-cluster.js';

const CONNECTIONS = 50;
const LICENSES = 100;
const GOAL = { unchanged: 0.5, changed: 0.2 };
const DAY_MS = 86_400_000;
const JSON_HEADERS = { 'content-type': 'application/json' };

interface SyncSetup {
  licenseIds: string[];
  /** Per license: known = its current serial. */
  unchanged: string[];
  /** Per license: known = null, and known = the serial before the current one. */
  changed: string[];
}

/** One product, one customer, LICENSES online licenses bound to an LM each, set up with LC's own services. */
export async function setUp(world: CenterWorld): Promise<SyncSetup> {
  const services = await openCenterServices(world);
  try {
    const { licenses, catalogue } = services;
    const actor = 'staff:bench';
    const product = unwrap(
      await catalogue.createProduct(
        { slug: 'graphdb', name: 'Graph DB', roles: ['query', 'storage'], limits: [], features: ['scan'] },
        actor,
      ),
      'createProduct',
    );
    const customer = unwrap(await catalogue.createCustomer({ name: 'Bench Customer' }, actor), 'createCustomer');
    const scope = { customerId: customer.id };
    const now = Date.now();
    const setup: SyncSetup = { licenseIds: [], unchanged: [], changed: [] };
    for (let i = 0; i < LICENSES; i++) {
      const lm = makeLm(`machine:bench-${i}`);
      const created = unwrap(
        await licenses.createLicense(
          {
            customerId: customer.id,
            productId: product.id,
            nodes: { query: 10, storage: 10 },
            features: ['scan'],
            startsAt: now - DAY_MS,
            expiresAt: now + 365 * DAY_MS,
            mode: 'online',
          },
          actor,
        ),
        'createLicense',
      );
      const bound = unwrap(await licenses.bindLmid(created.id, lm.lmid, scope, 'usr_bench'), 'bindLmid');
      if (bound.serial < 2) throw new Error(`binding did not raise the serial of ${bound.id} (${bound.serial})`);
      const key = unwrap(await licenses.key(created.id, scope), 'key').key;
      setup.licenseIds.push(created.id);
      setup.unchanged.push(syncBody(lm, key, { licenseId: created.id, serial: bound.serial }));
      setup.changed.push(syncBody(lm, key, null), syncBody(lm, key, { licenseId: created.id, serial: bound.serial - 1 }));
    }
    return setup;
  } finally {
    await services.close();
  }
}

async function postSync(url: string, body: string): Promise<{ changed?: boolean; license?: string; time?: string }> {
  const response = await fetch(`${url}/v1/lm/sync`, { method: 'POST', headers: JSON_HEADERS, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST /v1/lm/sync answered ${response.status}: ${text}`);
  return JSON.parse(text) as { changed?: boolean; license?: string; time?: string };
}

/**
 * Every request answers as the protocol says: changed ones with a license that verifies against the trust bundle
 * (this first sync also makes LC sign and store it), unchanged ones with changed: false. Returns the answers' sizes.
 */
async function checkAnswers(url: string, setup: SyncSetup, trust: TrustBundle): Promise<{ changedBytes: number; unchangedBytes: number }> {
  let changedBytes = 0;
  let unchangedBytes = 0;
  for (let i = 0; i < setup.licenseIds.length; i++) {
    const id = setup.licenseIds[i]!;
    for (const body of [setup.changed[2 * i]!, setup.changed[2 * i + 1]!]) {
      const answer = await postSync(url, body);
      if (answer.changed !== true || typeof answer.license !== 'string' || typeof answer.time !== 'string')
        throw new Error(`a changed sync of ${id} answered ${JSON.stringify(answer)}`);
      const license = readLicense(answer.license, trust);
      if (!license.ok || license.value.id !== id) throw new Error(`the license sent for ${id} does not verify: ${JSON.stringify(license)}`);
      changedBytes = JSON.stringify(answer).length;
    }
    const answer = await postSync(url, setup.unchanged[i]!);
    if (answer.changed !== false || typeof answer.time !== 'string' || 'license' in answer)
      throw new Error(`an unchanged sync of ${id} answered ${JSON.stringify(answer)}`);
    unchangedBytes = JSON.stringify(answer).length;
  }
  return { changedBytes, unchangedBytes };
}

interface DialectResult {
  dialect: 'sqlite' | 'postgres';
  unchanged: Measured;
  changed: Measured;
  answerBytes: { changedBytes: number; unchangedBytes: number };
  stillUnchangedAfter: boolean;
  postgresVersion?: string;
  /** The unchanged requests' bodies, for the bare POST /echo run. */
  bodies: string[];
}

async function measureDialect(postgresBin: string | null, plan: RunPlan, cpu: number | null): Promise<DialectResult> {
  const dialect = postgresBin ? 'postgres' : 'sqlite';
  let cluster: PostgresCluster | null = null;
  let world: CenterWorld | null = null;
  let center: ServerProcess | null = null;
  try {
    if (postgresBin) cluster = await startPostgres(postgresBin, { cpu });
    world = makeCenterWorld(cluster);
    console.error(`  ${dialect}: setting up ${LICENSES} bound online licenses`);
    const setup = await setUp(world);
    center = await startCenterProcess(world, { cpu });
    const trust = parseTrustBundle(await (await fetch(`${center.url}/v1/trust-bundle`)).text());
    if (!trust.ok) throw new Error(`the trust bundle does not parse: ${trust.detail}`);
    const answerBytes = await checkAnswers(center.url, setup, trust.value);
    const post = (bodies: string[]) =>
      rotatingRequests(
        bodies.map((body) => ({ method: 'POST' as const, path: '/v1/lm/sync', headers: JSON_HEADERS, body })),
        CONNECTIONS,
      );
    const common = { connections: CONNECTIONS, ...(cluster ? { databaseCpuSeconds: cluster.cpuSeconds } : {}) };
    const unchanged = await measureLoad(`${dialect} unchanged`, center, plan, { ...common, ...post(setup.unchanged) });
    const changed = await measureLoad(`${dialect} changed`, center, plan, { ...common, ...post(setup.changed) });
    // Nothing the runs did may have changed a license: each still answers "unchanged" to its current serial.
    let stillUnchangedAfter = true;
    for (const body of setup.unchanged) if ((await postSync(center.url, body)).changed !== false) stillUnchangedAfter = false;
    return {
      dialect,
      unchanged,
      changed,
      answerBytes,
      stillUnchangedAfter,
      bodies: setup.unchanged,
      ...(cluster ? { postgresVersion: cluster.version } : {}),
    };
  } finally {
    await stopAll(center);
    world?.cleanup();
    cluster?.stop();
  }
}

export const lcSync: Benchmark = {
  name: 'lc-sync',
  description:
    'License Center POST /v1/lm/sync req/s, unchanged and changed license (autocannon, 50 connections, LC in a child process) vs bare Fastify; goals on SQLite unchanged >= 0.5x, changed >= 0.2x; PostgreSQL reported',
  async run(options: RunOptions): Promise<BenchResult> {
    const plan = runPlan(options.quick, { warmupSec: 2, durationSec: 10 });
    const pinning = pinLoadGenerator();
    const cpu = pinning?.server ?? null;
    let bare: ServerProcess | null = null;
    try {
      bare = await startBareFastify({ cpu });
      const hello = { connections: CONNECTIONS, requests: [{ method: 'GET' as const, path: '/' }] };
      const bareBefore = await measureLoad('bare-hello-1', bare, plan, hello);
      const results: DialectResult[] = [await measureDialect(null, plan, cpu)];
      // For orientation: what a bare POST with the same bodies costs (JSON body parsing, a bigger request).
      const echoRequests = results[0]!.bodies.map((body) => ({ method: 'POST' as const, path: '/echo', headers: JSON_HEADERS, body }));
      const bareEcho = await measureLoad('bare-echo', bare, plan, {
        connections: CONNECTIONS,
        ...rotatingRequests(echoRequests, CONNECTIONS),
      });
      const postgresBin = findPostgresBin();
      if (postgresBin) results.push(await measureDialect(postgresBin, plan, cpu));
      else console.error('  PostgreSQL server binaries not found under /usr/lib/postgresql: the PostgreSQL half is skipped');
      const bareAfter = await measureLoad('bare-hello-2', bare, plan, hello);

      const baseline = (bareBefore.run.requestsPerSec + bareAfter.run.requestsPerSec) / 2;
      const ratio = (m: Measured) => m.run.requestsPerSec / baseline;
      const sqlite = results[0]!;
      const allRuns = [bareBefore, bareEcho, bareAfter, ...results.flatMap((r) => [r.unchanged, r.changed])];
      const allClean = allRuns.every((m) => m.clean) && results.every((r) => r.stillUnchangedAfter);
      const unchangedMet = sqlite.unchanged.clean && ratio(sqlite.unchanged) >= GOAL.unchanged;
      const changedMet = sqlite.changed.clean && ratio(sqlite.changed) >= GOAL.changed;

      const rows: BenchRow[] = [
        {
          measure: 'bare fastify GET / hello (baseline)',
          opsPerSec: baseline,
          note: `mean of before/after runs: ${formatNumber(bareBefore.run.requestsPerSec)}, ${formatNumber(bareAfter.run.requestsPerSec)} req/s; ${latencyNote(bareBefore.run)}`,
        },
        {
          measure: 'bare fastify POST /echo, sync bodies (info)',
          opsPerSec: bareEcho.run.requestsPerSec,
          note: `${(bareEcho.run.requestsPerSec / baseline).toFixed(3)}x hello; ${latencyNote(bareEcho.run)}`,
        },
      ];
      for (const r of results) {
        for (const kind of ['unchanged', 'changed'] as const) {
          const m = r[kind];
          const goal = r.dialect === 'sqlite' ? GOAL[kind] : null;
          const met = kind === 'unchanged' ? unchangedMet : changedMet;
          rows.push(
            {
              measure: `LC sync ${kind} on ${r.dialect}`,
              opsPerSec: m.run.requestsPerSec,
              note: `${latencyNote(m.run)}; ${describeAnswers(m.run)}`,
            },
            {
              measure: `${kind} on ${r.dialect}: ratio to bare`,
              value: `${ratio(m).toFixed(3)}x`,
              note: goal === null ? 'reported, no goal' : `goal >= ${goal}x: ${met ? 'met' : 'NOT MET'}`,
            },
          );
        }
      }
      if (!postgresBin)
        rows.push({ measure: 'postgres', value: 'skipped', note: 'no PostgreSQL server binaries under /usr/lib/postgresql' });
      const busy = allRuns.filter((m) => (m.run.cpu.others ?? 0) > BUSY_MACHINE_CORES);
      if (busy.length > 0) {
        rows.push({
          measure: 'DISTURBED',
          value: 'machine busy',
          note: `other processes used ${busy.map((m) => `${m.run.cpu.others!.toFixed(2)} cores in ${m.run.title}`).join(', ')}: rerun on a quiet machine`,
        });
      }
      if (!allClean)
        rows.push({
          measure: 'FLAGGED',
          value: 'non-2xx/errors',
          note: 'a run had non-2xx answers or errors, or a license changed (see the json)',
        });
      if (pinning === null)
        rows.push({ measure: 'note', value: 'not pinned', note: 'servers and load generator share the CPUs (no taskset or 1 CPU)' });

      return {
        name: 'lc-sync',
        rows,
        goal: {
          text: `SQLite: unchanged >= ${GOAL.unchanged}x bare, changed >= ${GOAL.changed}x bare; all 2xx`,
          met: unchangedMet && changedMet && allClean,
        },
        data: {
          description: lcSync.description,
          quick: options.quick,
          connections: CONNECTIONS,
          licenses: LICENSES,
          warmupSeconds: plan.warmupSec,
          durationSeconds: plan.durationSec,
          syncBudgetsPerMinute: { perAddress: Number(UNLIMITED_PER_MINUTE), perKey: Number(UNLIMITED_PER_MINUTE) },
          pinning: pinning ? { serverCpu: pinning.server, loadGeneratorCpu: pinning.loadGenerator, postgres: 'server CPU' } : null,
          baseline: { requestsPerSec: Math.round(baseline), runs: 'mean of bare GET / hello before and after the License Center' },
          goals: {
            sqliteUnchanged: { ratio: GOAL.unchanged, met: unchangedMet },
            sqliteChanged: { ratio: GOAL.changed, met: changedMet },
            allAnswers2xx: allClean,
          },
          ratios: Object.fromEntries(results.map((r) => [r.dialect, { unchanged: ratio(r.unchanged), changed: ratio(r.changed) }])),
          postgres: postgresBin
            ? { version: results[1]?.postgresVersion, settings: 'stock (fsync on), throwaway cluster' }
            : 'skipped: not installed',
          disturbedBy: Object.fromEntries(busy.map((m) => [m.run.title, { otherCores: m.run.cpu.others }])),
          runs: {
            bareHelloBefore: measuredSummary(bareBefore),
            bareEchoSyncBodies: measuredSummary(bareEcho),
            bareHelloAfter: measuredSummary(bareAfter),
            ...Object.fromEntries(
              results.map((r) => [
                r.dialect,
                {
                  unchanged: measuredSummary(r.unchanged),
                  changed: measuredSummary(r.changed),
                  answerBytes: r.answerBytes,
                  stillUnchangedAfter: r.stillUnchangedAfter,
                },
              ]),
            ),
          },
        },
      };
    } finally {
      await stopAll(bare);
      pinning?.restore();
    }
  },
};
