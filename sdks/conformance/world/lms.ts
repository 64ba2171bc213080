/**
 * Real License Managers for the conformance scenarios: the tessera-lm binary built from this workspace
 * (packages/manager/bin/tessera-lm.js, which runs its dist), each with its own data path (so its own identity and
 * LMID), the world's trust file, and short leases. Licenses are loaded through the LM's admin API with the admin
 * token it keeps in its data path, as `tessera-lm load` does.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LM_BIN = fileURLToPath(new URL('../../../packages/manager/bin/tessera-lm.js', import.meta.url));
const LM_MAIN = fileURLToPath(new URL('../../../packages/manager/dist/cli/main.js', import.meta.url));

export interface LmProcess {
  name: string;
  dir: string;
  port: number;
  ttlSeconds: number;
  /** The LM's seats.secret, or null. */
  secret: string | null;
  /** Replicas: the PostgreSQL database they share and the HA secret sealing their identity in it; null: SQLite. */
  shared: { databaseUrl: string; haSecret: string } | null;
  url: string;
  lmid: string;
  child: ChildProcess | null;
}

/** Starts `tessera-lm serve` with a config in `dir` and waits for the line saying where it serves. */
export async function serveLm(lm: Omit<LmProcess, 'url' | 'lmid' | 'child'>, trustPath: string): Promise<LmProcess> {
  if (!existsSync(LM_MAIN)) throw new Error(`tessera-lm is not built (${LM_MAIN} is missing): run "npm run build" first.`);
  const config = join(lm.dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `name: ${lm.name}`,
      'host: 127.0.0.1',
      `port: ${lm.port}`,
      `dataPath: ${join(lm.dir, 'data')}`,
      `trust: ${trustPath}`,
      `leaseTtlSeconds: ${lm.ttlSeconds}`,
      ...(lm.secret ? ['seats:', `  secret: ${JSON.stringify(lm.secret)}`] : []),
      ...(lm.shared ? ['database:', `  url: ${lm.shared.databaseUrl}`, 'ha:', `  secret: ${lm.shared.haSecret}`] : []),
      'log:',
      '  mode: console',
      '  level: warn',
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [LM_BIN, 'serve', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tessera-lm ${lm.name} did not start within 15 s: ${stderr}`));
    }, 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tessera-lm ${lm.name} exited with ${code}: ${stderr}`));
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving on (http:\/\/127\.0\.0\.1:(\d+)) \(LMID ([0-9A-Z-]+)\)/.exec(stderr);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ ...lm, port: Number(match[2]), url: match[1]!, lmid: match[3]!, child });
    });
  });
}

/** Stops the LM: SIGTERM (a clean shutdown) or SIGKILL (a crash, a pulled plug). */
export async function stopLm(lm: LmProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const child = lm.child;
  lm.child = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

export function newLmDir(): string {
  return mkdtempSync(join(tmpdir(), 'tessera-conformance-lm-'));
}

export function removeLmDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** POST to the LM's admin API with the token it keeps in its data path. */
export async function adminCall(lm: LmProcess, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const token = readFileSync(join(lm.dir, 'data', 'admin.token'), 'utf8').trim();
  const response = await fetch(lm.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The seats the LM counts now, per role. */
export async function usage(lm: LmProcess): Promise<Record<string, number>> {
  const response = await fetch(`${lm.url}/v1/usage`);
  const body = (await response.json()) as { roles: Record<string, { used: number }> };
  return Object.fromEntries(Object.entries(body.roles).map(([role, u]) => [role, u.used]));
}
