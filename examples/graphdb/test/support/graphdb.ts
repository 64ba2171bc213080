/**
 * The graphdb node program as a vendor ships it — bundled with the vendor's root compiled in
 * (scripts/build-product.ts), here the root of this test file's vendor — run as child processes against a real
 * License Manager daemon (in this process, on port 0, on the system clock, since the nodes read the system clock too).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { LicenseInput } from '@tessera/core';
import type { Daemon } from '../../../../packages/manager/src/daemon.js';
import { admin, call, DAY, licenseFor, makeRoot, makeWorld, start } from '../../../../packages/manager/test/support/world.js';
import type { TestRoot, World } from '../../../../packages/manager/test/support/world.js';
import { buildProduct } from '../../../../scripts/build-product.js';

export { call, DAY };

/** The vendor of this test file: graphdb is built with its root, and its License Managers serve its bundle. */
export const VENDOR_ROOT: TestRoot = makeRoot();
const buildDir = mkdtempSync(join(tmpdir(), 'tessera-graphdb-build-'));
process.once('exit', () => rmSync(buildDir, { recursive: true, force: true }));
/** graphdb's main.js with VENDOR_ROOT compiled in. */
export const MAIN = (await buildProduct('graphdb', [VENDOR_ROOT.text], buildDir)).main!;

export interface Lm {
  world: World;
  /** The running daemon (a new one after restart()). */
  daemon: Daemon;
  addr: string;
  /** Loads a license for graphdb (query 2, storage 2 unless changed), dated around now; forced, so an expired one loads too. */
  load(change?: Partial<LicenseInput>): Promise<void>;
  /** The last license key loaded, to check it never shows where it should not. */
  lastKey: string | null;
  usage(): Promise<any>;
  /** Stops the daemon: its address is silent (connections refused) until restart(). */
  stop(): Promise<void>;
  /** Starts the daemon again at the same address, on the same data path. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** A License Manager of this file's vendor, or of another vendor's root (a product built for that root refuses it). */
export async function startLm(root: TestRoot = VENDOR_ROOT, leaseTtlSeconds = 30): Promise<Lm> {
  const world = makeWorld({ leaseTtlSeconds }, undefined, { root });
  const run = () => start(world, { clock: { now: () => Date.now() }, timers: { sweepMs: 60_000 } });
  const daemon = await run();
  world.config.port = daemon.port; // a restart comes back at the same address
  let stopped = false;
  const lm: Lm = {
    world,
    daemon,
    lastKey: null,
    addr: daemon.url.replace(/^http:\/\//, ''),
    async load(change = {}) {
      const now = Date.now();
      const key = licenseFor(world, lm.daemon.lmid, {
        nodes: { query: 2, storage: 2 },
        issuedAt: new Date(now - 3 * DAY).toISOString(),
        startsAt: new Date(now - 3 * DAY).toISOString(),
        expiresAt: new Date(now + 365 * DAY).toISOString(),
        ...change,
      });
      lm.lastKey = key;
      const answer = await admin(lm.daemon, '/v1/admin/load', { key, force: true });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    },
    async usage() {
      return (await call(lm.daemon, 'GET', '/v1/usage')).body;
    },
    async stop() {
      await lm.daemon.close();
      stopped = true;
    },
    async restart() {
      lm.daemon = await run();
      stopped = false;
    },
    async close() {
      if (!stopped) await lm.daemon.close();
      world.cleanup();
    },
  };
  return lm;
}

export interface NodeRun {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Starts a node program; the caller waits with ready() or exited. */
export function spawnNode(args: string[], main = MAIN): NodeRun {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const run: NodeRun = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) =>
      child.once('exit', (code) => {
        running.delete(child);
        resolve(code);
      }),
    ),
  };
  child.stdout!.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  return run;
}

/** Kills every node still running, whatever the test did. */
export async function killAll(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** Polls until check() returns a value (not undefined), or fails with what it last saw after a generous deadline. */
export async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string, deadlineMs = 20_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface ReadyNode extends NodeRun {
  url: string;
}

/** Waits for a node's ready line; fails with its stderr if it exits first. */
export async function waitReady(run: NodeRun, what: string): Promise<ReadyNode> {
  let code: number | null | 'running' = 'running';
  void run.exited.then((c) => (code = c));
  const url = await until(() => {
    if (code !== 'running') throw new Error(`${what} exited with ${code}: ${run.stderr}`);
    return /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.stdout)?.[1];
  }, `${what} to be ready`);
  return Object.assign(run, { url });
}

/** A node's flags on any free port. */
export function nodeArgs(role: 'query' | 'storage', nodeId: string, lm: Lm, extra: string[] = []): string[] {
  return ['--role', role, '--node-id', nodeId, `--license_manager_url=${lm.addr}`, '--port=0', ...extra];
}

/** Starts a node on any free port and waits for its ready line. */
export function startNode(role: 'query' | 'storage', nodeId: string, lm: Lm, extra: string[] = []): Promise<ReadyNode> {
  return waitReady(spawnNode(nodeArgs(role, nodeId, lm, extra)), `${role} node ${nodeId}`);
}

/** fetch() with the answer's status and JSON body. */
export async function request(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const { status, body } = await requestWithHeaders(url, init);
  return { status, body };
}

/** fetch() with the answer's status, JSON body and the license headers every graphdb answer carries. */
export async function requestWithHeaders(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: any; license: Record<string, string> }> {
  const response = await fetch(url, init);
  const text = await response.text();
  const license = Object.fromEntries([...response.headers.entries()].filter(([name]) => name.startsWith('x-license-')));
  return { status: response.status, body: text === '' ? null : JSON.parse(text), license };
}
