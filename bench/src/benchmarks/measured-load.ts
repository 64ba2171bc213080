/**
 * Measured autocannon runs for the benchmarks that run servers in child processes (lc-*, lm-ha): a plan (warm-up,
 * duration, attempts), runs that wait for the rest of the machine to be quiet and are repeated when disturbed, and
 * what the JSON keeps of them.
 */
import type autocannon from 'autocannon';
import { formatNumber } from '../lib/report.js';
import { BUSY_MACHINE_CORES, describeAnswers, load, waitForQuiet } from './lm-harness.js';
import type { LoadOptions, LoadRun, ServerProcess } from './lm-harness.js';

export interface RunPlan {
  readonly warmupSec: number;
  readonly durationSec: number;
  /** Runs disturbed by other processes are repeated up to this many times in all. */
  readonly attempts: number;
  readonly quietWaitMs: number;
}

function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds (got ${raw})`);
  return value;
}

/** BENCH_HTTP_SECONDS and BENCH_HTTP_WARMUP_SECONDS as for lm-seats; --quick: 1 s warm-up, 2 s measured, no waiting. */
export function runPlan(quick: boolean, defaults: { warmupSec: number; durationSec: number }): RunPlan {
  if (quick) return { warmupSec: 1, durationSec: 2, attempts: 1, quietWaitMs: 0 };
  return {
    warmupSec: seconds('BENCH_HTTP_WARMUP_SECONDS', defaults.warmupSec),
    durationSec: seconds('BENCH_HTTP_SECONDS', defaults.durationSec),
    attempts: 3,
    quietWaitMs: 60_000,
  };
}

export interface Measured {
  readonly run: LoadRun;
  readonly warmup: LoadRun;
  readonly attempts: readonly LoadRun[];
  /** Every run, warm-ups included, answered 2xx only. */
  readonly clean: boolean;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

/**
 * A warm-up and a measured autocannon run against `server`, after waiting for the rest of the machine to be quiet;
 * repeated (up to plan.attempts) when other processes disturbed it anyway, keeping the least disturbed run. A run
 * with non-2xx answers or errors is never traded for a clean one.
 */
export async function measureLoad(
  key: string,
  server: ServerProcess,
  plan: RunPlan,
  options: Omit<LoadOptions, 'url' | 'title' | 'duration' | 'serverPid'>,
): Promise<Measured> {
  const base = { url: server.url, serverPid: server.pid, ...options };
  const tried: { run: LoadRun; warmup: LoadRun }[] = [];
  for (let attempt = 1; attempt <= plan.attempts; attempt++) {
    const quiet = plan.quietWaitMs > 0 ? await waitForQuiet(plan.quietWaitMs) : true;
    console.error(
      `  ${key}: ${plan.warmupSec} s warm-up, ${plan.durationSec} s measured, ${options.connections ?? 10} connections${quiet ? '' : ' (the machine is busy)'}`,
    );
    const warmup = await load({ ...base, title: `${key} warm-up`, duration: plan.warmupSec });
    const run = await load({ ...base, title: key, duration: plan.durationSec });
    if (!server.alive()) throw new Error(`${server.label} died during ${key}: ${server.output()}`);
    const cores = (value: number | null | undefined) => (value === undefined ? '' : (value?.toFixed(2) ?? '?'));
    const db = run.cpu.database === undefined ? '' : `, database ${cores(run.cpu.database)}`;
    console.error(
      `    ${formatNumber(run.requestsPerSec)} req/s, p50 ${ms(run.latencyMs.p50)}, p99 ${ms(run.latencyMs.p99)}, ${describeAnswers(run)}; ` +
        `cpu cores: server ${cores(run.cpu.server)}${db}, load generator ${cores(run.cpu.loadGenerator)}, others ${cores(run.cpu.others)}`,
    );
    tried.push({ run, warmup });
    if ((run.cpu.others ?? 0) <= BUSY_MACHINE_CORES) break;
  }
  const unclean = tried.find((t) => !t.run.clean || !t.warmup.clean);
  const kept = unclean ?? tried.reduce((best, t) => ((t.run.cpu.others ?? 0) < (best.run.cpu.others ?? 0) ? t : best));
  return { ...kept, attempts: tried.map((t) => t.run), clean: tried.every((t) => t.run.clean && t.warmup.clean) };
}

/** The same request list for every connection, each connection starting at another place in it. */
export function rotatingRequests(
  requests: readonly autocannon.Request[],
  connections: number,
): Pick<LoadOptions, 'requests' | 'setupClient'> {
  let client = 0;
  const step = Math.max(1, Math.floor(requests.length / connections));
  return {
    requests: [...requests],
    setupClient: (c) => {
      const offset = (client++ * step) % requests.length;
      c.setRequests([...requests.slice(offset), ...requests.slice(0, offset)]);
    },
  };
}

/** What the JSON keeps of a run. */
export function runSummary(run: LoadRun) {
  return {
    requestsPerSec: Math.round(run.requestsPerSec),
    responses: run.responses,
    ok2xx: run.ok2xx,
    non2xx: run.non2xx,
    errors: run.errors,
    timeouts: run.timeouts,
    statusCodes: run.statusCodes,
    clean: run.clean,
    seconds: run.seconds,
    connections: run.connections,
    latencyMs: run.latencyMs,
    cpuCores: run.cpu,
    autocannon: run.autocannon,
  };
}

export function measuredSummary(measured: Measured) {
  return { ...runSummary(measured.run), warmup: runSummary(measured.warmup), attempts: measured.attempts.map(runSummary) };
}

/** "p50 0.41 ms, p99 1.20 ms" */
export function latencyNote(run: LoadRun): string {
  return `p50 ${ms(run.latencyMs.p50)}, p99 ${ms(run.latencyMs.p99)}`;
}
