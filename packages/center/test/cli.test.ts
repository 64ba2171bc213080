import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrustBundle, parseTrustRoot, readTrustFile } from '@tessera/core';
import { openDatabase } from '../src/db/connect.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';

function unwrap<T>(result: { ok: true; value: T } | { ok: false; detail: string }): T {
  if (!result.ok) throw new Error(result.detail);
  return result.value;
}

const BIN = fileURLToPath(new URL('../../../node_modules/.bin/tessera-center', import.meta.url));

describe.each(DIALECTS)('tessera-center on %s', (dialect) => {
  let target: TestDatabase;
  const run = (...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_MASTER_KEY: '' };
    delete env.DATABASE_URL;
    if (target.databaseUrl) env.DATABASE_URL = target.databaseUrl;
    const result = spawnSync(BIN, ['--data', target.dataDir, ...args], { encoding: 'utf8', env, timeout: 30_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  beforeAll(async () => {
    target = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await target.drop();
  });

  it('migrate applies the schema once', () => {
    expect(run('migrate')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Applied: 0001_initial, 0002_list_indexes/) });
    expect(run('migrate')).toMatchObject({ status: 0, stdout: expect.stringMatching(/up to date/) });
  });

  it('makes a master key file (0600) and one signing key on first use, and prints the trust bundle', () => {
    const list = run('--json', 'keys', 'list');
    expect(list.status).toBe(0);
    const keys = JSON.parse(list.stdout);
    expect(keys).toHaveLength(1);
    expect(keys[0].state).toBe('active');
    const keyFile = join(target.dataDir, 'master.key');
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const file = readTrustFile(run('trust-bundle').stdout);
    expect(file.ok && [...file.value.bundle.keys.keys()]).toEqual([keys[0].kid]);
  });

  it('rotates: a new active key, the old one retired and still in the trust bundle', () => {
    const before = JSON.parse(run('--json', 'keys', 'list').stdout);
    expect(run('keys', 'rotate')).toMatchObject({ status: 0, stdout: expect.stringMatching(/New active key k/) });
    const after = JSON.parse(run('--json', 'keys', 'list').stdout);
    expect(after.map((k: any) => k.state).sort()).toEqual(['active', 'retired']);
    expect(after.find((k: any) => k.state === 'retired').kid).toBe(before[0].kid);
    const file = readTrustFile(run('trust-bundle').stdout);
    expect(file.ok && file.value.bundle.keys.size).toBe(2);
  });

  it('prints the root for products (a TypeScript constant and plain text) and rotates it in two steps', () => {
    const printed = run('trust-root');
    expect(printed.status).toBe(0);
    const root = /export const TESSERA_ROOT = '(tessera-root:[A-Za-z0-9_-]{43})';/.exec(printed.stdout)?.[1];
    expect(root).toBeDefined();
    expect(printed.stdout).toContain(`Plain text, for other languages:\n  ${root}   (`);
    const file = readTrustFile(run('trust-bundle').stdout);
    expect(file.ok && file.value.kind === 'signed' && file.value.roots.map((r) => r.kid)).toEqual([unwrap(parseTrustRoot(root)).kid]);

    const next = run('trust-root', 'next');
    const nextKid = /^Next root (r[0-9A-Z]{12}):/.exec(next.stdout)?.[1];
    expect(nextKid).toBeDefined();
    expect(run('trust-root').stdout).toMatch(/export const TESSERA_ROOT = \[\n {2}'tessera-root:[^']+',\n {2}'tessera-root:[^']+',\n\];/);
    expect(run('trust-root', 'activate', 'rNOSUCHROOT00')).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/no root key rNOSUCHROOT00/),
    });
    expect(run('trust-root', 'activate', nextKid!)).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(`Root ${nextKid} now signs`),
    });
    const after = readTrustFile(run('trust-bundle').stdout);
    expect(after.ok && after.value.kind === 'signed' && after.value.bundle.rootKid).toBe(nextKid);
  });

  it('prints the plain v1 bundle for License Managers of earlier releases, and refuses another format', () => {
    const legacy = parseTrustBundle(run('trust-bundle', '--format', 'v1').stdout);
    expect(legacy.ok && legacy.value.keys.size).toBe(2);
    expect(run('trust-bundle', '--format', 'v3')).toMatchObject({ status: 2, stderr: expect.stringMatching(/--format must be v1 or v2/) });
  });

  it('audit verify reports an intact chain: the key rotation and the two steps of the root rotation in it', () => {
    expect(run('audit', 'verify')).toMatchObject({ status: 0, stdout: 'The audit chain is intact: 3 events.\n' });
  });

  it('audit verify names the first broken link with exit 1, and another master key cannot verify the chain', async () => {
    const handle = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
    try {
      const before = await handle.db.selectFrom('audit_events').select(['seq', 'subject']).where('seq', '=', 1).executeTakeFirstOrThrow();
      await handle.db.updateTable('audit_events').set({ subject: 'k_forged' }).where('seq', '=', 1).execute();
      expect(run('audit', 'verify')).toMatchObject({
        status: 1,
        stderr: expect.stringContaining('The audit chain is broken at event 1 (0 intact before it): Event 1 was altered'),
      });
      await handle.db.updateTable('audit_events').set({ subject: before.subject }).where('seq', '=', 1).execute();
      const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_MASTER_KEY: Buffer.alloc(32, 7).toString('base64url') };
      delete env.DATABASE_URL;
      if (target.databaseUrl) env.DATABASE_URL = target.databaseUrl;
      const otherKey = spawnSync(BIN, ['--data', target.dataDir, 'audit', 'verify'], { encoding: 'utf8', env, timeout: 30_000 });
      expect(otherKey.status).toBe(1);
      expect(otherKey.stderr).toContain('or the master key is not the one it was written with');
      expect(run('audit', 'verify').status).toBe(0);
    } finally {
      await handle.close();
    }
  });

  it('serve starts the HTTP API where PORT and TESSERA_HOST say (as the systemd unit runs it), answers /health, and stops on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_MASTER_KEY: '', PORT: '0', TESSERA_HOST: '127.0.0.1' };
    delete env.DATABASE_URL;
    if (target.databaseUrl) env.DATABASE_URL = target.databaseUrl;
    const child = spawn(BIN, ['--data', target.dataDir, 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`no serving line: ${err}`)), 15_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const match = /serving on (http:\/\/[\d.]+:\d+)/.exec(err);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    expect(new URL(url).port).not.toBe('8080');
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok', database: dialect });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('lists configuration problems with exit code 5', () => {
    const result = spawnSync(BIN, ['--data', target.dataDir, 'migrate'], {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: 'mysql://x', SMTP_URL: 'nonsense' },
    });
    expect(result.status).toBe(5);
    expect(result.stderr).toMatch(/DATABASE_URL must be a postgres:\/\/ URL/);
    expect(result.stderr).toMatch(/SMTP_URL must look like/);
  });
});
