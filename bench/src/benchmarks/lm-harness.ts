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
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatTrustRoot,
  generateEd25519,
  generateSigningKey,
  issueLicense,
  rawPublicKey,
  rootKidForPublicKey,
  serializeTrustBundle,
  serializeTrustFile,
  signTrustBundle,
} from '@tessera/core';
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
  /** SIGKILL (a crash); resolves when the process is gone. */
  kill9(): Promise<void>;
}

export interface SpawnOptions {
  /** Pin the child to this CPU (taskset). */
  cpu?: number | null | undefined;
  /** Extra environment variables for the child (added to this process's environment). */
  env?: Readonly<Record<string, string>> | undefined;
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
  const env = options.env ? { ...process.env, ...options.env } : process.env;
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
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
        async kill9() {
          if (alive()) child.kill('SIGKILL');
          await exited;
        },
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
  /** The vendor root (tessera-root:…) of a v2 trust file, for SDK nodes; null with a plain v1 bundle. */
  readonly rootText: string | null;
  readonly dir: string;
  readonly dataPath: string;
  readonly configFile: string;
  readonly vendor: SigningKey;
  cleanup(): void;
}

/**
 * A temporary folder with a vendor trust bundle, a data path and a config (127.0.0.1, log level warn); `extra`
 * lines are appended to the config (replicas: database and ha).
 */
export function makeLmWorld(
  options: { port?: number; leaseTtlSeconds?: number; extra?: readonly string[]; rootSigned?: boolean } = {},
): LmWorld {
  const dir = mkdtempSync(join(os.tmpdir(), 'tessera-bench-lm-'));
  try {
    const vendor = generateSigningKey();
    const trustPath = join(dir, 'trust-bundle.json');
    const entries = [{ kid: vendor.kid, state: 'active' as const, publicKeyRaw: vendor.publicKeyRaw }];
    let rootText: string | null = null;
    if (options.rootSigned) {
      // A v2 trust file: the root SDK nodes are built with, and the bundle it signed.
      const { privateKey } = generateEd25519();
      const publicKeyRaw = rawPublicKey(privateKey);
      rootText = formatTrustRoot(publicKeyRaw);
      const bundle = signTrustBundle(
        { serial: 1, issuedAt: new Date(Date.now() - DAY_MS).toISOString(), keys: entries },
        { kid: rootKidForPublicKey(publicKeyRaw), privateKey },
      );
      writeFileSync(trustPath, serializeTrustFile([rootText], bundle));
    } else {
      writeFileSync(trustPath, serializeTrustBundle(entries));
    }
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
        // One load generator on one address measures the LM's checkout capacity, not the per-address budget.
        'seats:',
        '  checkoutsPerMinute: 1000000',
        'log:',
        '  mode: console',
        '  level: warn',
        ...(options.extra ?? []),
        '',
      ].join('\n'),
    );
    return { rootText, dir, dataPath, configFile, vendor, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
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

/** The process instance a synthetic node checks out and heartbeats as (the LM gives a seat to one process). */
export const benchInstance = (prefix: string, i: number): string => `bench-${prefix}-${i}`;

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
        body: JSON.stringify({ product: PRODUCT, role, nodeId: `${prefix}-${i}`, instance: benchInstance(prefix, i), host: 'bench-host' }),
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

export async function getInfo(url: string): Promise<{ status: string; lmid: string; replicas: unknown[] | null }> {
  const response = await fetch(`${url}/v1/info`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET /v1/info answered ${response.status}: ${text}`);
  return JSON.parse(text) as { status: string; lmid: string; replicas: unknown[] | null };
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

export * from './machine.js';
export * from './load.js';
