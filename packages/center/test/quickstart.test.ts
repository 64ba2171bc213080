/**
 * `npm start` (scripts/start.mjs) as a user runs it: the License Center on SQLite with a first admin's one-time
 * login link that really logs in; a second start prints a new link for the same admin and the old one is spent.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Started {
  child: ChildProcess;
  url: string;
  token: string;
  stdout: string;
}

function start(dataDir: string, extra: NodeJS.ProcessEnv = {}): Promise<Started> {
  // No License Manager packages unless a test gives some (not whatever `npm run package` left in dist/packages).
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TESSERA_DATA: dataDir,
    PORT: '0',
    TESSERA_LM_PACKAGES_DIR: join(dataDir, 'no-packages'),
    ...extra,
  };
  const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`no login link within 20 s:\n${stdout}\n${stderr}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /License Center: (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      const token = /\/login-link#token=([A-Za-z0-9_-]+)/.exec(stdout)?.[1];
      if (url && token && stdout.includes('Stop with Ctrl-C.')) {
        clearTimeout(timer);
        resolve({ child, url, token, stdout });
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${stdout}\n${stderr}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/** The child's stdout from now on, and the first line matching a pattern once it is written. */
function afterStart(child: ChildProcess) {
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return {
    text: () => text,
    line: (pattern: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within 10 s:\n${text}`)), 10_000);
        const look = () => {
          const found = text.split('\n').find((line) => pattern.test(line));
          if (found === undefined) return;
          clearTimeout(timer);
          child.stdout!.off('data', look);
          resolve(found);
        };
        child.stdout!.on('data', look);
        look();
      }),
  };
}

const useLink = (url: string, token: string) =>
  fetch(`${url}/v1/auth/login-link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts the License Center on SQLite and prints a first admin login link that logs in; a restart prints a fresh one', async () => {
    const first = await start(dataDir);
    expect(first.stdout).toMatch(/SQLite in the data folder/);
    expect(first.stdout).toContain(`${first.url}/docs`);
    // Short and current: the first steps, and where the mails are without SMTP and how to read them.
    expect(first.stdout).not.toMatch(/still to come/);
    expect(first.stdout).toMatch(/add a product, a customer, a contract for it, and invite/);
    expect(first.stdout).toContain(`written to ${join(dataDir, 'outbox')}, as no SMTP_URL is set`);
    expect(first.stdout).toContain(`npx tessera-center --data ${dataDir} mail list`);
    const later = afterStart(first.child);
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    // Not a terminal (a pipe): the request log stays one JSON object a line, for collectors.
    const completed = await later.line(/request completed/);
    expect(JSON.parse(completed)).toMatchObject({ msg: 'request completed', res: { statusCode: 200 } });
    expect(await stop(first.child)).toBe(0);

    const second = await start(dataDir);
    try {
      expect(second.token).not.toBe(first.token);
      const login = await useLink(second.url, second.token);
      expect(login.status).toBe(200);
      expect(await login.json()).toMatchObject({ user: { email: 'admin@localhost.example', role: 'admin' } });
      // A login link works once.
      expect((await useLink(second.url, second.token)).status).toBe(400);
    } finally {
      expect(await stop(second.child)).toBe(0);
    }
  });

  it('writes the request log for a person with TESSERA_LOG_FORMAT=pretty: one line a request, no JSON', async () => {
    const other = mkdtempSync(join(tmpdir(), 'tessera-start-'));
    try {
      const started = await start(join(other, 'data'), { TESSERA_LOG_FORMAT: 'pretty' });
      try {
        const later = afterStart(started.child);
        expect((await fetch(`${started.url}/health?probe=1`)).status).toBe(200);
        expect(await later.line(/health/)).toMatch(/^\d\d:\d\d:\d\d INFO {2}GET \/health\?probe=1 200 \d+ ms {2}req_[0-9a-z]+$/);
        expect(later.text()).not.toMatch(/[{}]/);
      } finally {
        expect(await stop(started.child)).toBe(0);
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('writes the log for a person on its own when its output is a terminal (a pseudo-terminal, through script)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'tessera-start-'));
    // util-linux's script gives the server a real terminal, as npm start in a shell window does.
    const command = `${process.execPath} packages/center/bin/tessera-center.js --data ${other} serve --port 0`;
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    try {
      const output = afterStart(child);
      const listening = await output.line(/Server listening at/);
      expect(listening).toMatch(/^\d\d:\d\d:\d\d INFO {2}Server listening at http:\/\/127\.0\.0\.1:\d+\r?$/);
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(listening)![1]!;
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect(await output.line(/GET \/health/)).toMatch(/INFO {2}GET \/health 200 \d+ ms {2}req_/);
      expect(output.text()).not.toContain('{"level"');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("publishes the License Manager's packages that npm run package made, once, for every customer to download", async () => {
    const other = mkdtempSync(join(tmpdir(), 'tessera-start-'));
    const packages = join(other, 'packages');
    mkdirSync(packages);
    writeFileSync(join(packages, 'tessera-lm-0.1.0-linux-x64.tar.gz'), gzipSync(Buffer.from('a tarball')));
    writeFileSync(join(packages, 'tessera-lm_0.1.0_amd64.deb'), Buffer.from('!<arch>\na deb'));
    writeFileSync(join(packages, 'tessera-center-0.1.0-linux-x64.tar.gz'), gzipSync(Buffer.from('not the LM')));
    try {
      const first = await start(join(other, 'data'), { TESSERA_LM_PACKAGES_DIR: packages });
      expect(first.stdout).toMatch(/^published tessera-lm-0\.1\.0-linux-x64\.tar\.gz: Tessera License Manager 0\.1\.0, linux-x64/m);
      expect(first.stdout).toMatch(/^published tessera-lm_0\.1\.0_amd64\.deb/m);
      expect(await stop(first.child)).toBe(0);
      const second = await start(join(other, 'data'), { TESSERA_LM_PACKAGES_DIR: packages });
      try {
        expect(second.stdout).toMatch(/^unchanged tessera-lm-0\.1\.0-linux-x64\.tar\.gz/m);
        const login = await useLink(second.url, second.token);
        const cookie = /tessera_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1];
        const listed = await fetch(`${second.url}/v1/lm-packages`, { headers: { cookie: `tessera_session=${cookie}` } });
        expect(((await listed.json()) as { items: { filename: string }[] }).items.map((p) => p.filename).sort()).toEqual([
          'tessera-lm-0.1.0-linux-x64.tar.gz',
          'tessera-lm_0.1.0_amd64.deb',
        ]);
      } finally {
        expect(await stop(second.child)).toBe(0);
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a --first-admin email that belongs to an account that is not an admin', async () => {
    const other = mkdtempSync(join(tmpdir(), 'tessera-start-'));
    try {
      const child = spawn(
        process.execPath,
        ['packages/center/bin/tessera-center.js', '--data', other, 'staff', 'create', '--email', 'ops@vendor.example', '--role', 'support'],
        {
          cwd: ROOT,
          stdio: 'ignore',
        },
      );
      expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
      const refused = spawn(process.execPath, ['scripts/start.mjs'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          TESSERA_DATA: other,
          PORT: '0',
          TESSERA_FIRST_ADMIN: 'ops@vendor.example',
          TESSERA_LM_PACKAGES_DIR: join(other, 'no-packages'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      refused.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      expect(await new Promise((resolve) => refused.on('exit', resolve))).toBe(2);
      expect(stderr).toMatch(/ops@vendor\.example has an account that is not an active admin/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
