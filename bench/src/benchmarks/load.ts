/** Load generation for the License Manager benchmarks: autocannon runs with exact percentiles of the 2xx answers. */
import { otherLoadMeter, procCpuSeconds } from './machine.js';
import autocannon from 'autocannon';
import { nowMs } from '../lib/measure.js';

// ---------------------------------------------------------------------------------------------------------------
// Load generation

export interface LoadRun {
  readonly title: string;
  readonly connections: number;
  readonly seconds: number;
  /** autocannon's requests.mean: the mean of the per-second response counts. */
  readonly requestsPerSec: number;
  readonly responses: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Record<string, number>;
  /** Exact percentiles (ms) of the 2xx response times, from every response, not autocannon's whole-ms histogram. */
  readonly latencyMs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  /** autocannon's own figures (whole milliseconds), for reference. */
  readonly autocannon: { latencyP50: number; latencyP99: number; latencyMean: number; requestsTotal: number; sent: number };
  /** No non-2xx answer, no connection error, no timeout. */
  readonly clean: boolean;
  /**
   * CPU used during the run, in cores (1 = one core busy all the time): this process, the server if given, and
   * everything else on the machine (other processes, hypervisor steal), which disturbs the figures when high.
   */
  readonly cpu: { loadGenerator: number; server: number | null; others: number | null; database?: number | null };
}

export type LoadOptions = Omit<autocannon.Options, 'url'> & {
  title: string;
  url: string;
  /** The server's pid, to report how busy it was. */
  serverPid?: number;
  /**
   * CPU seconds used so far by processes that work for the server (a database server), read before and after the
   * run: reported as cpu.database and not counted as the rest of the machine.
   */
  databaseCpuSeconds?: () => number | null;
};

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** One autocannon run in this process, against a server in another. */
export function load(options: LoadOptions): Promise<LoadRun> {
  const times: number[] = [];
  const { serverPid, databaseCpuSeconds, ...cannon } = options;
  const databaseCpu = databaseCpuSeconds?.() ?? null;
  const startedAt = nowMs();
  const ownCpu = process.cpuUsage();
  const serverCpu = serverPid === undefined ? null : procCpuSeconds(serverPid);
  const meter = otherLoadMeter();
  return new Promise((resolve, reject) => {
    const instance = autocannon(cannon, (error: unknown, result: autocannon.Result) => {
      if (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      const wallSeconds = (nowMs() - startedAt) / 1000;
      const databaseAfter = databaseCpu === null ? null : databaseCpuSeconds!();
      const databaseUsed = databaseAfter === null || databaseCpu === null ? null : databaseAfter - databaseCpu;
      const others = meter.stop(serverPid === undefined ? [] : [serverPid], serverCpu ?? 0, databaseUsed ?? 0);
      const own = process.cpuUsage(ownCpu);
      let server: number | null = null;
      try {
        if (serverPid !== undefined && serverCpu !== null) server = (procCpuSeconds(serverPid) - serverCpu) / wallSeconds;
      } catch {
        server = null; // the server is gone; the caller reports that
      }
      const cpu = {
        loadGenerator: (own.user + own.system) / 1e6 / wallSeconds,
        server,
        others,
        ...(databaseCpuSeconds ? { database: databaseUsed === null ? null : databaseUsed / wallSeconds } : {}),
      };
      const sorted = Float64Array.from(times).sort();
      const mean = times.reduce((sum, t) => sum + t, 0) / Math.max(1, times.length);
      const statusCodes: Record<string, number> = {};
      for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
      const ok2xx = result['2xx'];
      resolve({
        title: options.title,
        connections: result.connections,
        seconds: result.duration,
        requestsPerSec: result.requests.mean,
        responses: ok2xx + result.non2xx,
        ok2xx,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        statusCodes,
        latencyMs: {
          mean,
          p50: percentile(sorted, 0.5),
          p90: percentile(sorted, 0.9),
          p99: percentile(sorted, 0.99),
          p999: percentile(sorted, 0.999),
          max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
        },
        autocannon: {
          latencyP50: result.latency.p50,
          latencyP99: result.latency.p99,
          latencyMean: result.latency.mean,
          requestsTotal: result.requests.total,
          sent: result.requests.sent,
        },
        clean: result.non2xx === 0 && result.errors === 0 && result.timeouts === 0,
        cpu,
      });
    });
    instance.on('response', (_client: autocannon.Client, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) times.push(responseTime);
    });
  });
}

/** "12,345 2xx", plus the non-2xx by status and the errors when there are any. */
export function describeAnswers(run: LoadRun): string {
  const bad = Object.entries(run.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, count]) => `${count}x${code}`);
  const problems = [...bad, ...(run.errors > 0 ? [`${run.errors} errors (${run.timeouts} timeouts)`] : [])];
  return `${run.ok2xx.toLocaleString('en-US')} x 2xx${problems.length > 0 ? `, FLAGGED: ${problems.join(', ')}` : ''}`;
}
