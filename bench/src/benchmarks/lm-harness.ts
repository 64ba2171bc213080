/**
 * Shared by the lm-* benchmarks (not a benchmark itself): the built License Manager binary
 * (packages/manager/dist/cli/main.js serve --config F) and a bare Fastify server as child processes on 127.0.0.1,
 * a vendor key with its trust bundle and a YAML config in a temporary folder, loading a license over the admin API,
 * autocannon runs with exact latency percentiles, RSS from /proc, and CPU pinning (server on one core, the load
 * generator, this process, on the other).
 *
 * Every child is killed when its benchmark ends (try/finally), and again by an exit hook should a benchmark be
 * left by a path that skips its finally.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { generateSigningKey, issueLicense, serializeTrustBundle } from '@tessera/core';
import type { SigningKey } from '@tessera/core';
import { nowMs } from '../lib/measure.js';

export const LM_BIN = fileURLToPath(new URL('../../../packages/manager/dist/cli/main.js', import.meta.url));
const BARE_SERVER = fileURLToPath(new URL('./bare-fastify.mjs', import.meta.url));

export const PRODUCT = 'graphdb';
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------------------------
// Child processes

const live = new Set<ChildProcess>();
let exitHook = false;

function adopt(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

export interface ServerProcess {
  readonly label: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The match of the "serving on" line (group 1 is the URL). */
  readonly ready: RegExpExecArray;
  /** nowMs() just before spawn, and when the "serving on" line arrived. */
  readonly spawnedAt: number;
  readonly readyAt: number;
  readonly alive: () => boolean;
  /** The last few KB the child wrote (stdout and stderr), for error messages. */
  readonly output: () => string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone, with how long it took to exit (ms). */
  stop(): Promise<number>;
}

export interface SpawnOptions {
  /** Pin the child to this CPU (taskset). */
  cpu?: number | null | undefined;
}

/**
 * Spawns `node <args>` and resolves once stderr shows `ready` (whose group 1 must be the URL it serves on). The
 * spawn happens synchronously in the call, so a caller can start its clock just before calling.
 */
export function spawnServer(label: string, args: readonly string[], ready: RegExp, options: SpawnOptions = {}): Promise<ServerProcess> {
  const pinned = options.cpu !== undefined && options.cpu !== null;
  const command = pinned ? 'taskset' : process.execPath;
  const argv = pinned ? ['-c', String(options.cpu), process.execPath, ...args] : [...args];
  const spawnedAt = nowMs();
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  adopt(child);
  let tail = '';
  let stderr = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8192);
  };
  child.stdout!.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async (): Promise<number> => {
    const started = nowMs();
    if (!alive()) return 0;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    return nowMs() - started;
  };
  return new Promise<ServerProcess>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`${label} did not start within 30 s: ${tail}`)), 30_000);
    child.once('error', (error) => fail(new Error(`${label} could not be started: ${error.message}`)));
    child.once('exit', (code, signal) => fail(new Error(`${label} exited (${signal ?? code}) before it served: ${tail}`)));
    child.stderr!.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (settled) return;
      stderr += chunk.toString();
      const match = ready.exec(stderr);
      if (!match) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        label,
        child,
        pid: child.pid!,
        url: match[1]!,
        ready: match,
        spawnedAt,
        readyAt: nowMs(),
        alive,
        output: () => tail,
        stop,
      });
    });
  });
}

/** Stops every given server that was started (in parallel); never throws. */
export async function stopAll(...servers: (ServerProcess | null | undefined)[]): Promise<void> {
  await Promise.all(servers.map((server) => server?.stop().catch(() => 0)));
}

export function startBareFastify(options: SpawnOptions = {}): Promise<ServerProcess> {
  return spawnServer('bare fastify', [BARE_SERVER], /serving on (http:\/\/127\.0\.0\.1:\d+)/, options);
}

// ---------------------------------------------------------------------------------------------------------------
// The License Manager

export interface LmWorld {
  readonly dir: string;
  readonly dataPath: string;
  readonly configFile: string;
  readonly vendor: SigningKey;
  cleanup(): void;
}

/** A temporary folder with a vendor trust bundle, a data path and a config (127.0.0.1, log level warn). */
export function makeLmWorld(options: { port?: number; leaseTtlSeconds?: number } = {}): LmWorld {
  const dir = mkdtempSync(join(os.tmpdir(), 'tessera-bench-lm-'));
  try {
    const vendor = generateSigningKey();
    const trustPath = join(dir, 'trust-bundle.json');
    writeFileSync(trustPath, serializeTrustBundle([{ kid: vendor.kid, state: 'active', publicKeyRaw: vendor.publicKeyRaw }]));
    const dataPath = join(dir, 'data');
    const configFile = join(dir, 'config.yaml');
    // JSON strings are valid YAML scalars, so the paths need no further quoting.
    writeFileSync(
      configFile,
      [
        'name: lm-bench',
        'host: 127.0.0.1',
        `port: ${options.port ?? 0}`,
        `dataPath: ${JSON.stringify(dataPath)}`,
        `trust: ${JSON.stringify(trustPath)}`,
        // Long enough that no lease runs out during a benchmark, or across the restarts of lm-restart.
        `leaseTtlSeconds: ${options.leaseTtlSeconds ?? 3600}`,
        'log:',
        '  mode: console',
        '  level: warn',
        '',
      ].join('\n'),
    );
    return { dir, dataPath, configFile, vendor, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export interface LmProcess extends ServerProcess {
  readonly lmid: string;
}

/** Starts `tessera-lm serve --config F` (the built binary) and waits for its "serving on" line. */
export async function startLm(world: LmWorld, options: SpawnOptions = {}): Promise<LmProcess> {
  const server = await spawnServer(
    'tessera-lm',
    [LM_BIN, 'serve', '--config', world.configFile],
    /tessera-lm serving on (http:\/\/[\d.]+:\d+) \(LMID ([^)\s]+)\)/,
    options,
  );
  return { ...server, lmid: server.ready[2]! };
}

/** Issues an offline license for this LM (valid from yesterday for a year) and loads it with the admin token. */
export async function loadLicense(world: LmWorld, lm: LmProcess, nodes: Record<string, number>): Promise<void> {
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const now = Date.now();
  const issued = issueLicense(
    {
      id: 'lic_bench',
      serial: 1,
      product: PRODUCT,
      customer: { id: 'cus_bench', name: 'Benchmark Customer' },
      nodes,
      limits: {},
      features: ['scan'],
      issuedAt: iso(now - DAY_MS),
      startsAt: iso(now - DAY_MS),
      expiresAt: iso(now + 365 * DAY_MS),
      mode: 'offline',
      lmid: lm.lmid,
    },
    world.vendor,
  );
  if (!issued.ok) throw new Error(`issueLicense: ${issued.code}: ${issued.detail}`);
  const token = readFileSync(join(world.dataPath, 'admin.token'), 'utf8').trim();
  const response = await fetch(`${lm.url}/v1/admin/load`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ key: issued.value }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST /v1/admin/load answered ${response.status}: ${text}`);
  const info = JSON.parse(text) as { status?: string };
  if (info.status !== undefined && info.status !== 'Normal') throw new Error(`the loaded license is ${info.status}: ${text}`);
}

/**
 * Checks out `count` seats in `role`, node ids `<prefix>-0` ... (with `concurrency` requests in flight), asserting
 * that every answer is 200 with a lease id; returns the lease ids.
 */
export async function checkoutLeases(url: string, role: string, count: number, prefix: string, concurrency = 50): Promise<string[]> {
  const ids = new Array<string>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const response = await fetch(`${url}/v1/seats/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ product: PRODUCT, role, nodeId: `${prefix}-${i}`, host: 'bench-host' }),
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`checkout ${prefix}-${i} answered ${response.status}: ${text}`);
      const leaseId = (JSON.parse(text) as { leaseId?: unknown }).leaseId;
      if (typeof leaseId !== 'string') throw new Error(`checkout ${prefix}-${i} answered without a leaseId: ${text}`);
      ids[i] = leaseId;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return ids;
}

export interface Usage {
  roles: Record<string, { total: number; used: number; free: number }>;
  leases: unknown[];
}

export async function getUsage(url: string): Promise<Usage> {
  const response = await fetch(`${url}/v1/usage`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET /v1/usage answered ${response.status}: ${text}`);
  return JSON.parse(text) as Usage;
}

/** A minimal GET without keep-alive (no connection pool to warm up or to hold a dead server's socket). */
export function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** A free TCP port on 127.0.0.1 (bound, then released), for a server that must come back on the same port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Memory

export interface ProcMemory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size, bytes. */
  hwm: number;
}

/** VmRSS and VmHWM of a process, from /proc/<pid>/status (Linux). */
export function procMemory(pid: number): ProcMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) * 1024;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

export const MB = 1024 * 1024;

let clockTicks: number | null = null;

function ticksPerSecond(): number {
  if (clockTicks === null) {
    const probe = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    clockTicks = Number(probe.stdout?.trim()) || 100;
  }
  return clockTicks;
}

/** CPU time (user + system, seconds) a process has used so far, from /proc/<pid>/stat (Linux). */
export function procCpuSeconds(pid: number): number {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond(); // utime, stime (fields 14 and 15)
}

/** CPU seconds all CPUs of the machine have been busy (or stolen by the hypervisor) so far, from /proc/stat. */
export function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** Cores that anything else on the machine kept busy while a measurement ran; above this the figures are disturbed. */
export const BUSY_MACHINE_CORES = 0.25;

/**
 * Measures how busy the rest of the machine is during a measurement: the machine's busy CPU minus what this
 * process and the given children used, in cores. null where /proc is not there.
 */
export function otherLoadMeter(): { stop(pids: readonly number[], childCpuAtStart?: number): number | null } {
  const startedAt = nowMs();
  const machine = machineBusySeconds();
  const own = process.cpuUsage();
  return {
    stop(pids, childCpuAtStart = 0) {
      const after = machineBusySeconds();
      if (machine === null || after === null) return null;
      const wall = (nowMs() - startedAt) / 1000;
      const ownUsage = process.cpuUsage(own);
      let children = -childCpuAtStart;
      for (const pid of pids) {
        try {
          children += procCpuSeconds(pid);
        } catch {
          return null; // a child is gone: its CPU cannot be told apart
        }
      }
      const others = after - machine - (ownUsage.user + ownUsage.system) / 1e6 - children;
      return Math.max(0, others / wall);
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until the rest of the machine has been quiet (below BUSY_MACHINE_CORES) for two half-second windows in a
 * row, at most `maxMs`; false if it never was (the caller measures anyway and reports the disturbance).
 */
export async function waitForQuiet(maxMs: number): Promise<boolean> {
  const deadline = nowMs() + maxMs;
  let quietWindows = 0;
  while (nowMs() < deadline) {
    const meter = otherLoadMeter();
    await sleep(500);
    const others = meter.stop([]);
    if (others === null) return true; // cannot tell: do not wait
    quietWindows = others <= BUSY_MACHINE_CORES ? quietWindows + 1 : 0;
    if (quietWindows >= 2) return true;
  }
  return false;
}

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
  readonly cpu: { loadGenerator: number; server: number | null; others: number | null };
}

export type LoadOptions = Omit<autocannon.Options, 'url'> & {
  title: string;
  url: string;
  /** The server's pid, to report how busy it was. */
  serverPid?: number;
};

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** One autocannon run in this process, against a server in another. */
export function load(options: LoadOptions): Promise<LoadRun> {
  const times: number[] = [];
  const { serverPid, ...cannon } = options;
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
      const others = meter.stop(serverPid === undefined ? [] : [serverPid], serverCpu ?? 0);
      const own = process.cpuUsage(ownCpu);
      let server: number | null = null;
      try {
        if (serverPid !== undefined && serverCpu !== null) server = (procCpuSeconds(serverPid) - serverCpu) / wallSeconds;
      } catch {
        server = null; // the server is gone; the caller reports that
      }
      const cpu = { loadGenerator: (own.user + own.system) / 1e6 / wallSeconds, server, others };
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

// ---------------------------------------------------------------------------------------------------------------
// CPU pinning

export interface Pinning {
  /** The CPU the servers run on, and the CPU this process (the load generator) runs on. */
  readonly server: number;
  readonly loadGenerator: number;
  restore(): void;
}

/**
 * Moves this process (all its threads) to CPU 1 and returns the CPU for the servers (0), so that the server under
 * test and the load generator do not share a core; null where that is not possible (one CPU, no taskset).
 */
export function pinLoadGenerator(): Pinning | null {
  if (process.platform !== 'linux' || os.cpus().length < 2) return null;
  const pid = String(process.pid);
  const probe = spawnSync('taskset', ['-p', pid], { encoding: 'utf8' });
  const mask = /affinity mask: ([0-9a-f]+)/.exec(probe.stdout ?? '')?.[1];
  if (probe.status !== 0 || !mask) return null;
  if (spawnSync('taskset', ['-a', '-c', '-p', '1', pid], { stdio: 'ignore' }).status !== 0) return null;
  return {
    server: 0,
    loadGenerator: 1,
    restore: () => void spawnSync('taskset', ['-a', '-p', mask, pid], { stdio: 'ignore' }),
  };
}
