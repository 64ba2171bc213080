/**
 * A throwaway PostgreSQL cluster for the test run, on loopback, when DIALECTS (default "sqlite,postgres")
 * includes postgres. Uses the Debian server binaries, installing them with apt-get when they are missing, so a
 * fresh machine needs nothing done by hand. Tests get its admin URL with inject('postgresUrl').
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

const PG_ROOT = '/usr/lib/postgresql';

function findBin(): string | null {
  if (!existsSync(PG_ROOT)) return null;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(PG_ROOT, versions[0]!, 'bin') : null;
}

function install(): string {
  process.stderr.write(
    '[tests] PostgreSQL server not found: installing the Debian package "postgresql" (apt-get update && apt-get install)...\n',
  );
  if (userInfo().uid !== 0)
    throw new Error(
      'PostgreSQL server binaries are missing and installing them needs root: apt-get install postgresql, or run with DIALECTS=sqlite.',
    );
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const bin = findBin();
  if (!bin) throw new Error('apt-get installed postgresql but no initdb was found under /usr/lib/postgresql.');
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dialects = (process.env.DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim());
  if (!dialects.includes('postgres')) {
    project.provide('postgresUrl', null);
    return () => {};
  }
  const bin = findBin() ?? install();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
  const asRoot = userInfo().uid === 0;
  // PostgreSQL refuses to run as root: as root, run it as the postgres user.
  const run = (command: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]] : [join(bin, command), args];
    const result = spawnSync(file, argv, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  };
  if (asRoot) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  // Durability settings off: this cluster lives for one test run. The tests' own kill -9 cases kill LC, not it.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', 'start']);
  process.stderr.write(`[tests] PostgreSQL ${bin.split('/').at(-2)} running on 127.0.0.1:${port} (throwaway cluster in ${dir})\n`);
  project.provide('postgresUrl', `postgres://postgres@127.0.0.1:${port}/postgres`);
  return () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}
