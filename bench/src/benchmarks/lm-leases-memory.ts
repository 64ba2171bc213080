/**
 * lm-leases-memory: the resident memory of the License Manager process (the built binary, a child process) with
 * 10,000 active leases, checked out over HTTP, against the same process with none. Read from /proc/<pid>/status
 * (VmRSS; VmHWM is the peak). Goal: RSS <= 120 MB with 10,000 leases.
 *
 * The RSS with leases also holds whatever garbage the 10,000 requests left that V8 has not given back, as a
 * running LM would; the difference per lease is therefore an upper bound of what a lease costs.
 */
import { formatNumber } from '../lib/report.js';
import type { Benchmark, BenchResult, RunOptions } from '../lib/types.js';
import { MB, checkoutLeases, getUsage, httpGet, loadLicense, makeLmWorld, procMemory, sleep, startLm, stopAll } from './lm-harness.js';
import type { LmProcess, ProcMemory } from './lm-harness.js';

const LEASES = 10_000;
const GOAL_RSS_MB = 120;
const SETTLE_MS = 2000;

/** RSS after the process has been left alone for a while: the last of a few samples (the first ones may still fall). */
async function settledMemory(pid: number, ms: number): Promise<{ memory: ProcMemory; samples: number[] }> {
  const samples: number[] = [];
  for (let i = 0; i < 4; i++) {
    await sleep(ms / 4);
    samples.push(procMemory(pid).rss);
  }
  return { memory: procMemory(pid), samples };
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

export const lmLeasesMemory: Benchmark = {
  name: 'lm-leases-memory',
  description: 'License Manager process RSS with 10,000 active leases (checked out over HTTP) vs with none; goal <= 120 MB',
  async run(options: RunOptions): Promise<BenchResult> {
    const leases = options.quick ? 1000 : LEASES;
    const settleMs = options.quick ? 400 : SETTLE_MS;
    const world = makeLmWorld();
    let lm: LmProcess | null = null;
    try {
      lm = await startLm(world);
      const atStart = procMemory(lm.pid);
      await loadLicense(world, lm, { query: 1_000_000 });
      // Touch the read paths once so the empty figure is of a process that has served requests, not a cold one.
      for (let i = 0; i < 20; i++) await httpGet(`${lm.url}/health`);
      const empty = await settledMemory(lm.pid, settleMs);
      const emptyUsage = await getUsage(lm.url);
      if (emptyUsage.leases.length !== 0) throw new Error(`expected no leases, found ${emptyUsage.leases.length}`);

      // In two steps: if the first burst of requests grows the heap once (it may or may not), the growth from the
      // first tenth to the end is nearer to what the leases themselves cost.
      const first = leases / 10;
      console.error(`  checking out ${formatNumber(leases)} leases`);
      await checkoutLeases(lm.url, 'query', first, 'mem-node-a');
      const partial = await settledMemory(lm.pid, settleMs);
      await checkoutLeases(lm.url, 'query', leases - first, 'mem-node-b');
      const full = await settledMemory(lm.pid, settleMs);
      const usage = await getUsage(lm.url);
      if (usage.leases.length !== leases || usage.roles.query?.used !== leases) {
        throw new Error(`expected ${leases} leases, the LM shows ${usage.leases.length} (query used ${usage.roles.query?.used})`);
      }
      if (!lm.alive()) throw new Error(`tessera-lm died: ${lm.output()}`);

      const rss = full.memory.rss;
      const perLease = (rss - empty.memory.rss) / leases;
      const marginal = (rss - partial.memory.rss) / (leases - first);
      const met = rss <= GOAL_RSS_MB * MB;
      return {
        name: 'lm-leases-memory',
        rows: [
          { measure: 'LM RSS, license loaded, 0 leases', value: mb(empty.memory.rss), note: `at start (no license) ${mb(atStart.rss)}` },
          {
            measure: `LM RSS, ${formatNumber(leases)} active leases`,
            value: mb(rss),
            note: `peak (VmHWM) ${mb(full.memory.hwm)}; goal <= ${GOAL_RSS_MB} MB`,
          },
          {
            measure: `RSS growth per lease from ${formatNumber(first)} to ${formatNumber(leases)}`,
            value: `${formatNumber(marginal)} B`,
            note: `RSS ${mb(partial.memory.rss)} with ${formatNumber(first)} leases`,
          },
          {
            measure: 'RSS growth per lease from 0',
            value: `${formatNumber(perLease)} B`,
            note: `+${mb(rss - empty.memory.rss)} for ${formatNumber(leases)} leases (upper bound: includes uncollected garbage)`,
          },
        ],
        goal: { text: `RSS with ${formatNumber(LEASES)} leases <= ${GOAL_RSS_MB} MB`, met },
        data: {
          description: lmLeasesMemory.description,
          quick: options.quick,
          leases,
          settleMs,
          rssMB: {
            atStartNoLicense: atStart.rss / MB,
            noLeases: empty.memory.rss / MB,
            [`with${first}Leases`]: partial.memory.rss / MB,
            withLeases: rss / MB,
            peakWithLeases: full.memory.hwm / MB,
            growth: (rss - empty.memory.rss) / MB,
          },
          samplesMB: { noLeases: empty.samples.map((b) => b / MB), withLeases: full.samples.map((b) => b / MB) },
          bytesPerLease: { fromZero: perLease, marginal, marginalFrom: first },
          goalRssMB: GOAL_RSS_MB,
        },
      };
    } finally {
      await stopAll(lm);
      world.cleanup();
    }
  },
};
