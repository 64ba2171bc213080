/**
 * lc-license-list: a customer's license cards, GET /v1/licenses?limit=50 with a session cookie (the portal's home
 * page), against the real License Center holding 1,000,000 licenses of 100,000 customers, on SQLite (the goal) and
 * on PostgreSQL (reported).
 *
 * The database is migrated by the License Center's own code, then seeded straight into the tables (lc-seed.ts):
 * customer 0 has 10,000 licenses (every 100th), the others about 10 each, spread over the table. Users and their
 * sessions are real: one active customer user per customer, sessions made with the License Center's Sessions service.
 *
 * Scenarios, each at 1 connection (what one customer waits) and at 10 connections (the server busy):
 * - typical: the first (and only) page of 200 different typical customers, in turn;
 * - big, first page: the big customer's newest 50;
 * - big, deep page: the big customer's pages 101 to 200, by the cursors of a walk through all 200 pages.
 * Every answer is checked once before the load (counts per customer, the big walk: 10,000 distinct ids, newest
 * first) and must be 2xx under load. Goal (SQLite): p99 <= 20 ms in every run.
 */
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { cardsQuery } from '../../../packages/center/src/services/licenses/license-queries.js';
import { nowMs } from '../lib/measure.js';
import { formatNumber } from '../lib/report.js';
import type { Benchmark, BenchResult, BenchRow, RunOptions } from '../lib/types.js';
import {
  latencyNote,
  makeCenterWorld,
  measuredSummary,
  measureLoad,
  openCenterServices,
  rotatingRequests,
  runPlan,
  startCenterProcess,
} from './lc-harness.js';
import type { CenterWorld, Dialect, Measured, RunPlan } from './lc-harness.js';
import { customerId, licenseCounts, seed, userId } from './lc-seed.js';
import type { SeedShape, SeedTimes } from './lc-seed.js';
import { BUSY_MACHINE_CORES, describeAnswers, pinLoadGenerator, stopAll } from './lm-harness.js';
import type { ServerProcess } from './lm-harness.js';
import { findPostgresBin, startPostgres } from './postgres-cluster.js';
import type { PostgresCluster } from './postgres-cluster.js';

const SHAPE: SeedShape = { customers: 100_000, licenses: 1_000_000, bigEvery: 100 };
const QUICK_SHAPE: SeedShape = { customers: 10_000, licenses: 100_000, bigEvery: 100 };
const TYPICAL_CUSTOMERS = 200;
const PAGE = 50;
const CONNECTIONS = [1, 10] as const;
const GOAL_P99_MS = 20;
const SESSION_COOKIE = 'tessera_session';

interface Card {
  id: string;
}
interface CardPage {
  items: Card[];
  nextCursor: string | null;
}

async function getPage(url: string, cookie: string, cursor: string | null): Promise<CardPage> {
  const path = `/v1/licenses?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`;
  const response = await fetch(url + path, { headers: { cookie } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as CardPage;
}

/** The query plan of the card list (first and a deep page) as the database explains it. */
async function explainCards(world: CenterWorld, db: Parameters<typeof cardsQuery>[0], big: string): Promise<string[]> {
  const queries = [
    cardsQuery(db, big, PAGE + 1, null).compile(),
    cardsQuery(db, big, PAGE + 1, { createdAt: Date.now(), id: 'lic_z' }).compile(),
  ];
  if (world.databaseUrl === null) {
    const sqlite = new Sqlite(join(world.dataDir, 'tessera.db'), { readonly: true });
    try {
      return queries.map((q) =>
        (sqlite.prepare(`explain query plan ${q.sql}`).all(...(q.parameters as unknown[])) as { detail: string }[])
          .map((r) => r.detail)
          .join('; '),
      );
    } finally {
      sqlite.close();
    }
  }
  const client = new pg.Client({ connectionString: world.databaseUrl });
  await client.connect();
  try {
    const plans: string[] = [];
    for (const q of queries) {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain ${q.sql}`, q.parameters as unknown[]);
      plans.push(rows.map((r) => r['QUERY PLAN'].trim()).join('; '));
    }
    return plans;
  } finally {
    await client.end();
  }
}

interface DialectResult {
  dialect: Dialect;
  seed: SeedTimes;
  sessionsSeconds: number;
  plans: string[];
  walk: { pages: number; licenses: number; seconds: number };
  typicalLicenses: { min: number; max: number; mean: number };
  runs: { scenario: string; connections: number; measured: Measured }[];
}

async function measureDialect(postgresBin: string | null, shape: SeedShape, plan: RunPlan, cpu: number | null): Promise<DialectResult> {
  const dialect: Dialect = postgresBin ? 'postgres' : 'sqlite';
  let cluster: PostgresCluster | null = null;
  let world: CenterWorld | null = null;
  let center: ServerProcess | null = null;
  try {
    if (postgresBin) cluster = await startPostgres(postgresBin, { cpu });
    world = makeCenterWorld(cluster);
    await (await openCenterServices(world)).close(); // migrates
    console.error(`  ${dialect}: seeding ${formatNumber(shape.licenses)} licenses of ${formatNumber(shape.customers)} customers`);
    const seedTimes = await seed(
      dialect,
      cluster ? { databaseUrl: cluster.databaseUrl } : { sqliteFile: join(world.dataDir, 'tessera.db') },
      shape,
    );
    console.error(`    seeded in ${seedTimes.totalSeconds.toFixed(1)} s (${JSON.stringify(seedTimes.tables)})`);

    const counts = licenseCounts(shape);
    const typical = Array.from({ length: TYPICAL_CUSTOMERS }, (_, k) => 1 + Math.floor((k * (shape.customers - 1)) / TYPICAL_CUSTOMERS));
    const services = await openCenterServices(world);
    const cookies = new Map<number, string>();
    let sessionsSeconds = 0;
    let plans: string[];
    try {
      const started = nowMs();
      for (const i of [0, ...typical]) cookies.set(i, `${SESSION_COOKIE}=${(await services.sessions.create(userId(i))).id}`);
      sessionsSeconds = (nowMs() - started) / 1000;
      plans = await explainCards(world, services.handle.db, customerId(0));
    } finally {
      await services.close();
    }

    center = await startCenterProcess(world, { cpu });
    const url = center.url;
    // Each typical customer sees exactly its licenses; the big one's walk gives every license once, newest first.
    for (const i of typical) {
      const page = await getPage(url, cookies.get(i)!, null);
      if (page.items.length !== Math.min(PAGE, counts[i]!) || counts[i]! <= PAGE !== (page.nextCursor === null))
        throw new Error(`customer ${i} has ${counts[i]} licenses but the first page shows ${page.items.length}`);
    }
    const walkStarted = nowMs();
    const cursors: string[] = [];
    const seen = new Set<string>();
    let previous = '~';
    let cursor: string | null = null;
    do {
      const page: CardPage = await getPage(url, cookies.get(0)!, cursor);
      for (const card of page.items) {
        if (!(card.id < previous) || seen.has(card.id)) throw new Error(`the big customer's walk is out of order at ${card.id}`);
        seen.add(card.id);
        previous = card.id;
      }
      cursor = page.nextCursor;
      if (cursor !== null) cursors.push(cursor);
    } while (cursor !== null);
    const walk = { pages: cursors.length + 1, licenses: seen.size, seconds: (nowMs() - walkStarted) / 1000 };
    if (seen.size !== counts[0]) throw new Error(`the big customer has ${counts[0]} licenses but the walk showed ${seen.size}`);

    const get = (path: string, cookie: string) => ({ method: 'GET' as const, path, headers: { cookie } });
    const first = `/v1/licenses?limit=${PAGE}`;
    const scenarios: [string, ReturnType<typeof get>[]][] = [
      ['typical', typical.map((i) => get(first, cookies.get(i)!))],
      ['big, first page', [get(first, cookies.get(0)!)]],
      ['big, deep page', cursors.slice(Math.floor(cursors.length / 2)).map((c) => get(`${first}&cursor=${c}`, cookies.get(0)!))],
    ];
    const runs: DialectResult['runs'] = [];
    for (const [scenario, requests] of scenarios) {
      for (const connections of CONNECTIONS) {
        const measured = await measureLoad(`${dialect} ${scenario}, ${connections} conn`, center, plan, {
          connections,
          ...rotatingRequests(requests, connections),
          ...(cluster ? { databaseCpuSeconds: cluster.cpuSeconds } : {}),
        });
        runs.push({ scenario, connections, measured });
      }
    }
    const typicalCounts = typical.map((i) => counts[i]!);
    return {
      dialect,
      seed: seedTimes,
      sessionsSeconds,
      plans,
      walk,
      typicalLicenses: {
        min: Math.min(...typicalCounts),
        max: Math.max(...typicalCounts),
        mean: typicalCounts.reduce((a, b) => a + b, 0) / typicalCounts.length,
      },
      runs,
    };
  } finally {
    await stopAll(center);
    world?.cleanup();
    cluster?.stop();
  }
}

export const lcLicenseList: Benchmark = {
  name: 'lc-license-list',
  description:
    "License Center GET /v1/licenses?limit=50 (a customer's cards) with 1,000,000 licenses of 100,000 customers: typical customer, big customer first and deep page, at 1 and 10 connections; goal on SQLite p99 <= 20 ms; PostgreSQL reported",
  async run(options: RunOptions): Promise<BenchResult> {
    const plan = runPlan(options.quick, { warmupSec: 2, durationSec: 5 });
    const shape = options.quick ? QUICK_SHAPE : SHAPE;
    const pinning = pinLoadGenerator();
    const cpu = pinning?.server ?? null;
    try {
      const results: DialectResult[] = [await measureDialect(null, shape, plan, cpu)];
      const postgresBin = findPostgresBin();
      if (postgresBin) results.push(await measureDialect(postgresBin, shape, plan, cpu));
      else console.error('  PostgreSQL server binaries not found under /usr/lib/postgresql: the PostgreSQL half is skipped');

      const within = (m: Measured) => m.clean && m.run.latencyMs.p99 <= GOAL_P99_MS;
      const sqlite = results[0]!;
      const goalMet = sqlite.runs.every((r) => within(r.measured));
      const allClean = results.every((r) => r.runs.every((run) => run.measured.clean));
      const rows: BenchRow[] = [];
      for (const r of results) {
        rows.push({
          measure: `${r.dialect}: seeding`,
          value: `${r.seed.totalSeconds.toFixed(1)} s`,
          note:
            `${formatNumber(shape.licenses)} licenses, ${formatNumber(shape.customers)} customers and users in one transaction` +
            (r.seed.analyzeSeconds === null ? '' : ` (VACUUM ANALYZE ${r.seed.analyzeSeconds.toFixed(1)} s)`) +
            `; typical customers have ${r.typicalLicenses.min}-${r.typicalLicenses.max} licenses, the big one ${formatNumber(r.walk.licenses)}`,
        });
        for (const { scenario, connections, measured } of r.runs) {
          const goal = r.dialect === 'sqlite' ? (within(measured) ? 'met' : 'NOT MET') : within(measured) ? 'within 20 ms' : 'over 20 ms';
          rows.push({
            measure: `${r.dialect}: ${scenario}, ${connections} conn`,
            opsPerSec: measured.run.requestsPerSec,
            note: `${latencyNote(measured.run)} (${goal}); ${describeAnswers(measured.run)}`,
          });
        }
      }
      if (!postgresBin)
        rows.push({ measure: 'postgres', value: 'skipped', note: 'no PostgreSQL server binaries under /usr/lib/postgresql' });
      const busy = results.flatMap((r) => r.runs.map((x) => x.measured)).filter((m) => (m.run.cpu.others ?? 0) > BUSY_MACHINE_CORES);
      if (busy.length > 0) {
        rows.push({
          measure: 'DISTURBED',
          value: 'machine busy',
          note: `other processes used ${busy.map((m) => `${m.run.cpu.others!.toFixed(2)} cores in ${m.run.title}`).join(', ')}: rerun on a quiet machine`,
        });
      }
      if (!allClean) rows.push({ measure: 'FLAGGED', value: 'non-2xx/errors', note: 'a run had non-2xx answers or errors (see the json)' });
      if (pinning === null)
        rows.push({ measure: 'note', value: 'not pinned', note: 'server and load generator share the CPUs (no taskset or 1 CPU)' });

      return {
        name: 'lc-license-list',
        rows,
        goal: { text: `SQLite: p99 <= ${GOAL_P99_MS} ms in every run; all 2xx`, met: goalMet && allClean },
        data: {
          description: lcLicenseList.description,
          quick: options.quick,
          shape: { ...shape, typicalCustomersMeasured: TYPICAL_CUSTOMERS, pageSize: PAGE },
          warmupSeconds: plan.warmupSec,
          durationSeconds: plan.durationSec,
          pinning: pinning ? { serverCpu: pinning.server, loadGeneratorCpu: pinning.loadGenerator, postgres: 'server CPU' } : null,
          goalP99Ms: GOAL_P99_MS,
          disturbedBy: Object.fromEntries(busy.map((m) => [m.run.title, { otherCores: m.run.cpu.others }])),
          dialects: Object.fromEntries(
            results.map((r) => [
              r.dialect,
              {
                seedSeconds: r.seed,
                sessionsSeconds: r.sessionsSeconds,
                cardsQueryPlan: { firstPage: r.plans[0], deepPage: r.plans[1] },
                typicalLicenses: r.typicalLicenses,
                bigCustomerWalk: r.walk,
                runs: r.runs.map(({ scenario, measured }) => ({ scenario, ...measuredSummary(measured) })),
              },
            ]),
          ),
        },
      };
    } finally {
      pinning?.restore();
    }
  },
};
