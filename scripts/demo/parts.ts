/**
 * The real programs the demo drives, each a child process of the built workspace: the License Center
 * (tessera-center on SQLite), the License Manager (tessera-lm) and its CLI, and graphdb nodes, built for the
 * demo's vendor with its root compiled in, as a vendor ships them. Every started process is tracked, so stopAll()
 * ends them whatever happened. Nothing here reads a key or token into a log.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProduct } from '../build-product.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LC_BIN = join(ROOT, 'packages/center/bin/tessera-center.js');
const LM_BIN = join(ROOT, 'packages/manager/bin/tessera-lm.js');

/** The built programs the demo needs; a checkout that was never built says what to run. (graphdb it builds itself.) */
export function missingBuild(): string | null {
  for (const file of [join(ROOT, 'packages/center/dist/cli/main.js'), join(ROOT, 'packages/manager/dist/cli/main.js')]) {
    if (!existsSync(file)) return file;
  }
  return null;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every process still running: the last resort after a failure. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

function track(child: ChildProcess): Promise<number | null> {
  running.add(child);
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? (signal ? null : 0));
    }),
  );
}

/** Starts a program and waits for a line of its output that matches `ready`, or its exit. */
function startProgram(
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv,
  what: string,
): Promise<{ child: ChildProcess; match: RegExpExecArray; exited: Promise<number | null>; output: () => string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = track(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, exited, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${output}`));
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  child.kill('SIGTERM');
  return exited;
}

/** Only what a child needs from our environment: never our secrets, never our npm settings. */
function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG };
}

export interface LicenseCenter {
  url: string;
  dataDir: string;
  stop(): Promise<number | null>;
}

/** `tessera-center staff create`: an admin with an API token, made before the server starts (as an operator would). */
export function createAdmin(dataDir: string, email: string): { apiToken: string } {
  const run = spawnSync(
    process.execPath,
    [LC_BIN, '--data', dataDir, '--json', 'staff', 'create', '--email', email, '--role', 'admin', '--api-token'],
    { cwd: ROOT, env: baseEnv(), encoding: 'utf8', timeout: 60_000 },
  );
  if (run.status !== 0) throw new Error(`tessera-center staff create failed (${run.status}): ${run.stderr}`);
  return { apiToken: (JSON.parse(run.stdout) as { apiToken: string }).apiToken };
}

/** `tessera-center trust-root`: the vendor's root public key(s), to build into products. */
export function vendorRoots(dataDir: string): string[] {
  const run = spawnSync(process.execPath, [LC_BIN, '--data', dataDir, '--json', 'trust-root'], {
    cwd: ROOT,
    env: baseEnv(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`tessera-center trust-root failed (${run.status}): ${run.stderr}`);
  return (JSON.parse(run.stdout) as { root: string }[]).map((published) => published.root);
}

/** Builds graphdb with `roots` compiled in (scripts/build-product.ts), into `outDir`; answers its program. */
export async function buildGraphdb(roots: string[], outDir: string): Promise<string> {
  return (await buildProduct('graphdb', roots, outDir)).main!;
}

export async function startCenter(dataDir: string): Promise<LicenseCenter> {
  const started = await startProgram(
    [LC_BIN, '--data', dataDir, 'serve', '--host', '127.0.0.1', '--port', '0'],
    /serving on (http:\/\/127\.0\.0\.1:\d+)/,
    // Background jobs every 200 ms: a mail is in the outbox folder within a second, not after up to 5 s.
    { ...baseEnv(), TESSERA_JOB_PERIOD_MS: '200' },
    'the License Center',
  );
  return { url: started.match[1]!, dataDir, stop: () => stopChild(started.child, started.exited) };
}

/**
 * The newest mail to `to` with a link to `path` (setup, activate, ...), read from the License Center's outbox
 * folder (.eml files, where mail goes when no SMTP server is configured). The server delivers every 200 ms here.
 */
export async function linkInMail(dataDir: string, to: string, path: string): Promise<string> {
  const dir = join(dataDir, 'outbox');
  const deadline = Date.now() + 20_000;
  const pattern = new RegExp(`/${path}#token=([A-Za-z0-9_-]+)`);
  while (Date.now() < deadline) {
    const files = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.eml')) : [];
    for (const file of files.sort().reverse()) {
      const raw = readFileSync(join(dir, file), 'utf8');
      if (/^To: (.*)$/m.exec(raw)?.[1]?.trim() !== to) continue;
      // A body with a line over 76 characters is quoted-printable (long lines cut with "=", "=" written "=3D"); a
      // body of short lines is 7bit and taken as it is: decoding "=XX" there would turn "#token=12…" into garbage.
      const qp = /^content-transfer-encoding: quoted-printable/im.test(raw);
      const text = qp
        ? raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
        : raw;
      const match = pattern.exec(text);
      if (match) return match[1]!;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no mail to ${to} with a /${path} link arrived within 20 s`);
}

export interface LicenseManager {
  addr: string;
  lmid: string;
  configFile: string;
  stop(): Promise<number | null>;
}

/** Short, so the outage step (the License Manager away for longer than a lease) takes seconds, not minutes. */
export const LEASE_TTL_SECONDS = 15;

export function writeLmConfig(dir: string, trustBundle: string, centerUrl: string): string {
  const trust = join(dir, 'trust-bundle.json');
  writeFileSync(trust, trustBundle);
  const file = join(dir, 'tessera-lm.yaml');
  writeFileSync(
    file,
    [
      'name: demo-lm',
      'host: 127.0.0.1',
      'port: 0',
      `dataPath: ${join(dir, 'lm-data')}`,
      `trust: ${trust}`,
      'center:',
      `  url: ${centerUrl}`,
      `leaseTtlSeconds: ${LEASE_TTL_SECONDS}`,
      // An installation fingerprint: the demo's LMID is its own, not this machine's.
      'fingerprint: installation',
      'log:',
      '  mode: console',
      '  level: warn',
      '',
    ].join('\n'),
  );
  return file;
}

export async function startManager(configFile: string): Promise<LicenseManager> {
  const started = await startProgram(
    [LM_BIN, 'serve', '--config', configFile],
    /serving on http:\/\/([\d.]+:\d+) \(LMID ([A-Z0-9-]+)\)/,
    baseEnv(),
    'the License Manager',
  );
  return {
    addr: started.match[1]!,
    lmid: started.match[2]!,
    configFile,
    stop: () => stopChild(started.child, started.exited),
  };
}

/**
 * Starts a stopped License Manager again with its config and data path, at the address it had (the nodes were
 * given that one), as an operator restarting the service does.
 */
export async function restartManager(stopped: LicenseManager): Promise<LicenseManager> {
  const port = stopped.addr.split(':').pop()!;
  writeFileSync(stopped.configFile, readFileSync(stopped.configFile, 'utf8').replace(/^port: .*$/m, `port: ${port}`));
  return startManager(stopped.configFile);
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The tessera-lm CLI against a running LM (global options such as --json go first in `args`); `input` is standard input. */
export function lmCli(lm: LicenseManager, args: string[], input?: string): CliResult {
  const run = spawnSync(process.execPath, [LM_BIN, '--addr', lm.addr, '--config', lm.configFile, ...args], {
    cwd: ROOT,
    env: baseEnv(),
    encoding: 'utf8',
    input,
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

export interface GraphNode {
  id: string;
  url: string;
  stop(): Promise<number | null>;
}

export type NodeStart = { ok: true; node: GraphNode; line: string } | { ok: false; exitCode: number | null; line: string };

/** Starts a graphdb node of the `graphdb` build; it either prints its ready line or says why it cannot start and exits. */
export async function startGraphNode(graphdb: string, role: 'query' | 'storage', id: string, lmAddr: string): Promise<NodeStart> {
  const args = [graphdb, '--role', role, '--node-id', id, '--license_manager_url', lmAddr, '--port', '0'];
  try {
    const started = await startProgram(args, /^graphdb .* ready on (http:\/\/[\d.]+:\d+).*$/m, baseEnv(), `graphdb ${role} node ${id}`);
    return {
      ok: true,
      line: started.match[0],
      node: { id, url: started.match[1]!, stop: () => stopChild(started.child, started.exited) },
    };
  } catch (error) {
    const text = String((error as Error).message);
    const exitCode = /exited with (\d+|null)/.exec(text)?.[1];
    const line = /^graphdb: .*$/m.exec(text)?.[0];
    if (exitCode === undefined || line === undefined) throw error;
    return { ok: false, exitCode: exitCode === 'null' ? null : Number(exitCode), line };
  }
}
