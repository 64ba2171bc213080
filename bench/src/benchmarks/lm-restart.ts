/**
 * lm-restart: how long a License Manager holding 10,000 leases is gone when it restarts. The LM (the built binary,
 * a child process, on a fixed port) is stopped with SIGTERM and started again; the time runs from the spawn to the
 * first GET /health answered 200 followed by a GET /metrics showing all 10,000 seats in use (leases restored).
 * Polled every 2 ms over fresh connections. Done 3 times; goal: every restart (the max) <= 1 s. Each restart waits
 * for the rest of the machine to be quiet, and one disturbed by other processes anyway is repeated (up to 3 times).
 *
 * For orientation, the part no code of ours can save: a bare `node -e ""` (spawn to exit), and `node main.js
 * version` (the same node plus loading the LM's modules, no daemon), medians of 5.
 */
import { spawn } from 'node:child_process';
import { median, nowMs } from '../lib/measure.js';
import { formatNumber } from '../lib/report.js';
import type { Benchmark, BenchResult, BenchRow, RunOptions } from '../lib/types.js';
import {
  BUSY_MACHINE_CORES,
  LM_BIN,
  checkoutLeases,
  freePort,
  getUsage,
  httpGet,
  loadLicense,
  makeLmWorld,
  otherLoadMeter,
  sleep,
  startLm,
  stopAll,
  waitForQuiet,
} from './lm-harness.js';
import type { LmProcess } from './lm-harness.js';

const LEASES = 10_000;
const RESTARTS = 3;
const GOAL_MS = 1000;
const POLL_MS = 2;
const ROLE = 'storage';
const ATTEMPTS = 3;
const QUIET_WAIT_MS = 60_000;

/** Spawn to exit of `node <args>`, in ms. */
function timeNode(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = nowMs();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = nowMs() - started;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args.join(' ')} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

async function medianOf(times: number, args: readonly string[]): Promise<{ median: number; all: number[] }> {
  const all: number[] = [];
  for (let i = 0; i < times; i++) all.push(await timeNode(args));
  return { median: median(all), all };
}

function seatsUsed(metrics: string, role: string): number | null {
  const match = new RegExp(`^tessera_lm_seats_used\\{role="${role}"\\} (\\d+)`, 'm').exec(metrics);
  return match ? Number(match[1]) : null;
}

interface Restart {
  /** SIGTERM to exit of the old process. */
  stopMs: number;
  /** Spawn to the "serving on" line on stderr. */
  servingLineMs: number;
  /** Spawn to the first 200 from GET /health. */
  healthMs: number;
  /** Spawn to the GET /metrics that shows every lease back: the measured figure. */
  restoredMs: number;
  polls: number;
  /** Cores other processes kept busy meanwhile (null: unknown). */
  otherCores: number | null;
}

/** Polls /health, then /metrics, from the moment of the spawn (startedAt) until the leases show. */
async function waitRestored(
  base: string,
  startedAt: number,
  leases: number,
  abort: { aborted: boolean },
): Promise<Omit<Restart, 'stopMs' | 'servingLineMs' | 'otherCores'>> {
  let healthMs: number | null = null;
  let polls = 0;
  const deadline = startedAt + 30_000;
  while (nowMs() < deadline && !abort.aborted) {
    polls++;
    try {
      if (healthMs === null) {
        const health = await httpGet(`${base}/health`);
        if (health.status === 200) healthMs = nowMs() - startedAt;
      }
      if (healthMs !== null) {
        const metrics = await httpGet(`${base}/metrics`);
        if (metrics.status === 200 && seatsUsed(metrics.body, ROLE) === leases) return { healthMs, restoredMs: nowMs() - startedAt, polls };
      }
    } catch {
      // not listening yet
    }
    await sleep(POLL_MS);
  }
  throw new Error(`the License Manager did not show its ${leases} leases within 30 s of the restart`);
}

export const lmRestart: Benchmark = {
  name: 'lm-restart',
  description:
    'License Manager with 10,000 leases: SIGTERM, start again, spawn to /health with the leases restored; 3 restarts; goal max <= 1 s',
  async run(options: RunOptions): Promise<BenchResult> {
    const leases = options.quick ? 1000 : LEASES;
    const port = await freePort();
    const world = makeLmWorld({ port });
    const base = `http://127.0.0.1:${port}`;
    let lm: LmProcess | null = null;
    try {
      lm = await startLm(world);
      await loadLicense(world, lm, { [ROLE]: 1_000_000 });
      console.error(`  checking out ${formatNumber(leases)} leases`);
      await checkoutLeases(lm.url, ROLE, leases, 'restart-node');

      if (!options.quick) await waitForQuiet(QUIET_WAIT_MS);
      const nodeBare = await medianOf(5, ['-e', '']);
      const nodeModules = await medianOf(5, [LM_BIN, 'version']);

      // The machine may be shared: each restart waits for the rest of it to be quiet, and one that other processes
      // disturbed anyway is repeated (up to ATTEMPTS times; the least disturbed one counts and is reported as such).
      const restartOnce = async (): Promise<Restart> => {
        const stopMs = await lm!.stop();
        const meter = otherLoadMeter();
        const startedAt = nowMs();
        const starting = startLm(world); // spawns synchronously
        const abort = { aborted: false };
        const polled = waitRestored(base, startedAt, leases, abort);
        polled.catch(() => undefined); // awaited below; a failed start is reported instead
        try {
          lm = await starting;
        } catch (error) {
          abort.aborted = true;
          throw error;
        }
        const restored = await polled;
        const otherCores = meter.stop([lm.pid]);
        return { stopMs, servingLineMs: lm.readyAt - lm.spawnedAt, ...restored, otherCores };
      };
      const restarts: Restart[] = [];
      const discarded: Restart[] = [];
      for (let i = 0; i < RESTARTS; i++) {
        let best: Restart | null = null;
        for (let attempt = 1; attempt <= (options.quick ? 1 : ATTEMPTS); attempt++) {
          if (!options.quick) await waitForQuiet(QUIET_WAIT_MS);
          const restart = await restartOnce();
          const cores = restart.otherCores === null ? '?' : restart.otherCores.toFixed(2);
          console.error(
            `    restart ${i + 1}: ${restart.restoredMs.toFixed(0)} ms (health ${restart.healthMs.toFixed(0)} ms), other processes ${cores} cores`,
          );
          if (best === null || (restart.otherCores ?? 0) < (best.otherCores ?? 0)) {
            if (best) discarded.push(best);
            best = restart;
          } else discarded.push(restart);
          if ((restart.otherCores ?? 0) <= BUSY_MACHINE_CORES) break;
        }
        restarts.push(best!);
      }
      const usage = await getUsage(base);
      if (usage.leases.length !== leases) throw new Error(`after the restarts the LM shows ${usage.leases.length} leases, not ${leases}`);

      const restored = restarts.map((r) => r.restoredMs);
      const medianMs = median(restored);
      const maxMs = Math.max(...restored);
      const met = maxMs <= GOAL_MS;
      const f = (value: number) => `${value.toFixed(0)} ms`;
      const rows: BenchRow[] = [
        {
          measure: `restart to leases restored (${formatNumber(leases)})`,
          value: `${f(medianMs)} median`,
          note: `max ${f(maxMs)}; each: ${restored.map(f).join(', ')}; goal max <= ${GOAL_MS} ms`,
        },
        {
          measure: 'spawn to first /health 200',
          value: `${f(median(restarts.map((r) => r.healthMs)))} median`,
          note: `"serving on" line ${f(median(restarts.map((r) => r.servingLineMs)))}`,
        },
        {
          measure: 'of which: node + LM modules (main.js version)',
          value: f(nodeModules.median),
          note: `bare node -e "" ${f(nodeBare.median)} (medians of 5)`,
        },
        { measure: 'SIGTERM to exit', value: `${f(median(restarts.map((r) => r.stopMs)))} median`, note: 'not part of the goal' },
      ];
      const busy = restarts.map((r, i) => ({ i, cores: r.otherCores ?? 0 })).filter((r) => r.cores > BUSY_MACHINE_CORES);
      if (busy.length > 0) {
        rows.push({
          measure: 'DISTURBED',
          value: 'machine busy',
          note: `other processes used ${busy.map((b) => `${b.cores.toFixed(2)} cores in restart ${b.i + 1}`).join(', ')}: rerun on a quiet machine`,
        });
      }
      return {
        name: 'lm-restart',
        rows,
        goal: { text: `restart with ${formatNumber(LEASES)} leases <= ${GOAL_MS} ms (max of ${RESTARTS})`, met },
        data: {
          description: lmRestart.description,
          quick: options.quick,
          leases,
          restarts,
          discardedAsDisturbed: discarded,
          restoredMs: { median: medianMs, max: maxMs },
          healthMs: { median: median(restarts.map((r) => r.healthMs)), max: Math.max(...restarts.map((r) => r.healthMs)) },
          processStartMs: {
            nodeBare: nodeBare.median,
            nodeBareAll: nodeBare.all,
            nodeWithLmModules: nodeModules.median,
            nodeWithLmModulesAll: nodeModules.all,
          },
          pollMs: POLL_MS,
          goalMs: GOAL_MS,
        },
      };
    } finally {
      await stopAll(lm);
      world.cleanup();
    }
  },
};
