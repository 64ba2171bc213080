/**
 * Chaos tests with real processes: License Managers are the built binary (`tessera-lm serve --config`), a single one
 * on SQLite or replicas sharing a PostgreSQL database, killed with SIGKILL and restarted at the same address; nodes
 * are SDK connections in the test process (given every replica's address) or graphdb processes. Licenses are the
 * vendor's of a test world (packages/manager/test/support/world.ts), dated around now, since the processes read the
 * system clock.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { connect } from '@tessera/sdk';
import type { Connection, ConnectOptions } from '@tessera/sdk';
import type { LicenseInput } from '@tessera/core';
import { BIN } from '../../../packages/manager/test/support/process.js';
import { DAY, licenseFor, makeWorld } from '../../../packages/manager/test/support/world.js';
import type { TestRoot, World } from '../../../packages/manager/test/support/world.js';
import { freePort } from '../../postgres-cluster.js';

export { DAY };
export const HA_SECRET = 'c0ffee42'.repeat(8);

export interface LmProcess {
  readonly url: string;
  readonly port: number;
  readonly lmid: string;
  readonly dataPath: string;
  /** Everything it wrote on stderr so far (its log lines go to stdout and are dropped). */
  stderr(): string;
  kill9(): Promise<void>;
  /** SIGTERM: a clean stop (the leases are written first). */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** A world with a vendor root (its own, or the one a product was built with) and its trust file. */
export function chaosWorld(root?: TestRoot): World {
  return makeWorld({}, undefined, root ? { root } : {});
}

export interface LmConfigOptions {
  /** Index of the replica (its own data path and config file); 0 for a single License Manager. */
  index?: number;
  port: number;
  leaseTtlSeconds: number;
  /** A PostgreSQL database shared by replicas; absent: a single License Manager on SQLite. */
  databaseUrl?: string;
}

/** Writes a config file; the data path of replica i is data-i. */
export function writeLmConfig(world: World, options: LmConfigOptions): { file: string; dataPath: string } {
  const index = options.index ?? 0;
  const dataPath = join(world.dir, `data-${index}`);
  mkdirSync(dataPath, { recursive: true });
  const file = join(world.dir, `lm-${index}.yaml`);
  const lines = [
    `name: lm-chaos-${index}`,
    'host: 127.0.0.1',
    `port: ${options.port}`,
    `dataPath: ${dataPath}`,
    `trust: ${world.trustPath}`,
    `leaseTtlSeconds: ${options.leaseTtlSeconds}`,
    'seats:',
    '  checkoutsPerMinute: 100000',
    'log:',
    '  mode: console',
    '  level: warn',
  ];
  if (options.databaseUrl) lines.push('database:', `  url: ${options.databaseUrl}`, 'ha:', `  secret: ${HA_SECRET}`);
  writeFileSync(file, lines.join('\n') + '\n');
  return { file, dataPath };
}

/** Starts `tessera-lm serve` and waits (at most 20 s) for the line that says where it listens. */
export function serveLm(file: string, dataPath: string): Promise<LmProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      children.delete(child);
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tessera-lm did not start within 20 s: ${stderr}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving on (http:\/\/127\.0\.0\.1:(\d+)) \(LMID ([^)]+)\)/.exec(stderr);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1]!,
        port: Number(match[2]),
        lmid: match[3]!,
        dataPath,
        stderr: () => stderr,
        async kill9() {
          child.kill('SIGKILL');
          await exited;
        },
        async stop() {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`tessera-lm exited before serving: ${stderr}`));
    });
  });
}

/** Starts License Manager `index` of the world on a free port (or the one given, to come back at the same address). */
export async function startLm(world: World, options: Omit<LmConfigOptions, 'port'> & { port?: number }): Promise<LmProcess> {
  const { file, dataPath } = writeLmConfig(world, { ...options, port: options.port ?? (await freePort()) });
  return serveLm(file, dataPath);
}

/** A license for the world's vendor, bound to `lmid`, valid from three days ago for a year. */
export function licenseOf(world: World, lmid: string, change: Partial<LicenseInput> = {}): string {
  const now = Date.now();
  return licenseFor(world, lmid, {
    issuedAt: new Date(now - 3 * DAY).toISOString(),
    startsAt: new Date(now - 3 * DAY).toISOString(),
    expiresAt: new Date(now + 365 * DAY).toISOString(),
    ...change,
  });
}

/** POST /v1/admin/load with the admin token of the License Manager's data path. */
export async function loadKey(lm: LmProcess, key: string): Promise<Record<string, any>> {
  const token = readFileSync(join(lm.dataPath, 'admin.token'), 'utf8').trim();
  const response = await fetch(`${lm.url}/v1/admin/load`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ key }),
  });
  const body = (await response.json()) as Record<string, any>;
  if (response.status !== 200) throw new Error(`load answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

export async function getJson(url: string): Promise<Record<string, any>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return (await response.json()) as Record<string, any>;
}

/** A node: an SDK connection of the world's product with the world's root compiled in. */
export function node(world: World, urls: string[], nodeId: string, change: Partial<ConnectOptions> = {}): Promise<Connection> {
  return connect({ url: urls, product: 'graphdb', role: 'query', nodeId, root: world.root.text, timeoutMs: 1000, ...change });
}

/** Every moment a node was not licensed, as the SDK said it (its change events), with the state it gave. */
export function watchUnlicensed(nodes: Connection[]): { moments: { nodeId: string; code: string; message: string }[] } {
  const seen = { moments: [] as { nodeId: string; code: string; message: string }[] };
  nodes.forEach((connection, i) =>
    connection.on('change', (state) => {
      if (!state.licensed) seen.moments.push({ nodeId: `#${i}`, code: state.code, message: state.message });
    }),
  );
  return seen;
}

/** A fresh database in the cluster at `adminUrl`, for replicas to share. */
export async function createDatabase(
  adminUrl: string,
): Promise<{ url: string; query: (sql: string, values?: unknown[]) => Promise<any[]>; drop(): Promise<void> }> {
  const name = `chaos_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {});
  return {
    url,
    query: async (sql, values) => (await pool.query(sql, values)).rows,
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: adminUrl });
      c.on('error', () => {});
      await c.connect().catch(() => {});
      await c.query(`drop database if exists ${name} with (force)`).catch(() => {});
      await c.end().catch(() => {});
    },
  };
}

/** A copy of a data path (the LM stopped), to put back later as a lost disk restored from a backup would. */
export function backUp(dataPath: string, to: string): () => void {
  cpSync(dataPath, to, { recursive: true });
  return () => {
    rmSync(dataPath, { recursive: true, force: true });
    cpSync(to, dataPath, { recursive: true });
  };
}

/** Polls every 20 ms until done(read()), failing after `deadlineMs` (never more than 30 s) with what it last read. */
export async function until<T>(read: () => T | Promise<T>, done: (value: T) => boolean, what: string, deadlineMs = 20_000): Promise<T> {
  const deadline = Date.now() + Math.min(deadlineMs, 30_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await read();
      if (done(value)) return value;
      last = value;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`waited ${deadlineMs} ms for ${what}; last: ${JSON.stringify(last)?.slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
