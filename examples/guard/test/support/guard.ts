/**
 * Test support for guard: a real License Manager in this process (its clock follows real time plus an offset the
 * test moves, for what runs in this process; the guard programs read the real clock), and the controller and
 * enforcers as a vendor ships them — bundled with the vendor's root compiled in (scripts/build-product.ts), here
 * the root of this test file's vendor — as child processes, each one killed whatever happens.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LicenseInput } from '@tessera/core';
import { RunningClock } from '../../../../packages/manager/src/clock.js';
import type { Daemon } from '../../../../packages/manager/src/daemon.js';
import { admin, DAY, licenseFor, makeRoot, makeWorld, start } from '../../../../packages/manager/test/support/world.js';
import type { TestRoot, World } from '../../../../packages/manager/test/support/world.js';
import { buildProduct } from '../../../../scripts/build-product.js';

/** The vendor of this test file: guard is built with its root, and its License Managers serve its bundle. */
export const VENDOR_ROOT: TestRoot = makeRoot();
const buildDir = mkdtempSync(join(tmpdir(), 'tessera-guard-build-'));
process.once('exit', () => rmSync(buildDir, { recursive: true, force: true }));
const BUILT = await buildProduct('guard', [VENDOR_ROOT.text], buildDir);

/** Test options for tests that run programs: room for several generous waits on a busy machine. */
export const CHILDREN = { timeout: 60_000 };

export interface Lm {
  world: World;
  /** The running daemon (a new one after restart()). */
  daemon: Daemon;
  /** The LM's clock: real time, moved forward by the test (never back, or the LM sees a tampered clock). */
  clock: RunningClock;
  /** host:port, as --license_manager_url takes it. */
  addr: string;
  /** What this process's SDK calls pass: the product's root and the LM's clock. */
  sdk: { root: string; clock: RunningClock };
  /** Stops the daemon: its address is silent (connections refused) until restart(). */
  stop(): Promise<void>;
  /** Starts the daemon again at the same address, on the same data path. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A License Manager granting leases of `leaseTtlSeconds` (30 unless a test needs tokens that run out sooner), of
 * this file's vendor unless another root is given.
 */
export async function startLm(leaseTtlSeconds = 30, root: TestRoot = VENDOR_ROOT): Promise<Lm> {
  const world = makeWorld({ leaseTtlSeconds }, undefined, { root });
  const clock = new RunningClock();
  const run = () => start(world, { clock, timers: { sweepMs: 500, watchMs: 500 } });
  const daemon = await run();
  world.config.port = daemon.port; // a restart comes back at the same address
  let stopped = false;
  const lm: Lm = {
    world,
    daemon,
    clock,
    addr: daemon.url.replace(/^http:\/\//, ''),
    sdk: { root: world.root.text, clock },
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

/** Loads a guard license (dates relative to the LM's clock) into the LM. */
export async function loadGuardLicense(lm: Lm, change: Partial<LicenseInput> = {}): Promise<void> {
  const now = lm.clock.now();
  const key = licenseFor(lm.world, lm.daemon.lmid, {
    product: 'guard',
    nodes: { enforcer: 2 },
    limits: { remote_clusters: 2 },
    features: ['scan', 'enforce'],
    issuedAt: new Date(now - DAY).toISOString(),
    startsAt: new Date(now - DAY).toISOString(),
    expiresAt: new Date(now + 365 * DAY).toISOString(),
    ...change,
  });
  const answer = await admin(lm.daemon, '/v1/admin/load', { key, force: true });
  if (answer.status !== 200) throw new Error(`the LM refused the test license: ${JSON.stringify(answer.body)}`);
}

export interface Program {
  script: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string | null>;
  /** Waits until stdout or stderr matches. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

/** Every program a test starts, so afterEach kills them all whatever happened. */
export class Programs {
  private readonly running = new Set<Program>();

  run(script: 'controller.js' | 'enforcer.js', args: string[]): Program {
    return this.spawn(script, process.execPath, [BUILT[script.replace(/\.js$/, '')]!, ...args]);
  }

  /** Another program (the Go enforcer), by its path; `name` says what it is in messages. */
  spawn(script: string, command: string, args: string[]): Program {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout!.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
    const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    const program: Program = {
      script,
      child,
      stdout: () => out.stdout,
      stderr: () => out.stderr,
      exited,
      async waitFor(stream, pattern, timeoutMs = 20_000) {
        let match: RegExpExecArray | null = null;
        await waitUntil(
          async () => (match = pattern.exec(out[stream])) !== null,
          `${script} ${stream} to match ${pattern}`,
          timeoutMs,
          () => JSON.stringify(out),
        );
        return match!;
      },
    };
    this.running.add(program);
    void exited.then(() => this.running.delete(program));
    return program;
  }

  /** The controllers still running. */
  controllers(): Program[] {
    return [...this.running].filter((program) => program.script === 'controller.js');
  }

  async startController(lm: Lm, extra: string[] = []): Promise<{ program: Program; url: string; status: string }> {
    const program = this.run('controller.js', [
      '--license_manager_url',
      lm.addr,
      '--port',
      '0',
      '--poll-ms',
      '200',
      // Enforcers heartbeat every second and are dropped after three silent seconds: quick enough for the
      // tests, slow enough that a busy machine does not drop a live enforcer.
      '--heartbeat-ms',
      '1000',
      ...extra,
    ]);
    const match = await program.waitFor('stdout', /guard controller ready on (http:\/\/127\.0\.0\.1:\d+) \(license (\w+)\)/);
    return { program, url: match[1]!, status: match[2]! };
  }

  enforcer(lm: Lm, controllerUrl: string, nodeId: string, extra: string[] = []): Program {
    return this.run('enforcer.js', [
      '--controller',
      controllerUrl,
      '--license_manager_url',
      lm.addr,
      '--node-id',
      nodeId,
      '--heartbeat-ms',
      '300',
      ...extra,
    ]);
  }

  async killAll(): Promise<void> {
    const all = [...this.running];
    for (const program of all) program.child.kill('SIGKILL');
    await Promise.all(all.map((program) => program.exited));
  }
}

/** Polls `probe` until it is true, with a generous deadline; the failure says what was awaited. */
export async function waitUntil(
  probe: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 20_000,
  context?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context ? `: ${context()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function getJson(url: string): Promise<any> {
  return (await fetch(url)).json();
}

export async function send(url: string, method: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

/** The text of the status page, tags removed, whitespace collapsed: what a person reads. */
export async function pageText(controllerUrl: string): Promise<{ html: string; text: string }> {
  const html = await (await fetch(controllerUrl + '/')).text();
  const text = html
    .replace(/<style>[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .replace(/ ([.,:)])/g, '$1')
    .trim();
  return { html, text };
}
