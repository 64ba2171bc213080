/**
 * A throwaway PostgreSQL cluster on loopback, from the Debian server binaries (installed with apt-get when they are
 * missing and this is root): what the test run shares (scripts/postgres-global-setup.ts), and what a test that
 * restarts the server starts for itself, so the other test files never see their server go away.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const PG_ROOT = '/usr/lib/postgresql';

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres: the admin URL (trust authentication). */
  readonly url: string;
  readonly version: string;
  readonly dir: string;
  /**
   * Stops the server as a crash would (immediate), and starts it again on the same port and data; without blocking
   * this process, whose other work (nodes heartbeating) goes on meanwhile.
   */
  restart(): Promise<void>;
  stop(): void;
}

export function findPostgresBin(): string | null {
  if (!existsSync(PG_ROOT)) return null;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(PG_ROOT, versions[0]!, 'bin') : null;
}

export function installPostgres(): string {
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
  const bin = findPostgresBin();
  if (!bin) throw new Error('apt-get installed postgresql but no initdb was found under /usr/lib/postgresql.');
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * initdb and start a cluster in a new temporary folder. Durability settings are off (it lives for one test run)
 * unless `durable`: a test that stops the server as a crash would needs what was committed to be there after.
 */
export async function startPostgresCluster(
  options: { durable?: boolean } = {},
  bin = findPostgresBin() ?? installPostgres(),
): Promise<PostgresCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
  const asRoot = userInfo().uid === 0;
  // PostgreSQL refuses to run as root: as root, run it as the postgres user.
  const commandLine = (command: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]] : [join(bin, command), args];
  const run = (command: string, args: string[]) => {
    const result = spawnSync(...commandLine(command, args), { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  };
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const durability = options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200${durability}`;
  const startArgs = ['-D', data, '-l', join(dir, 'log'), '-o', serverOptions, '-w', 'start'];
  const stopArgs = ['-D', data, '-m', 'immediate', 'stop'];
  const start = () => run('pg_ctl', startArgs);
  const stopNow = () => run('pg_ctl', stopArgs);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    version: bin.split('/').at(-2) ?? '?',
    dir,
    async restart() {
      await promisify(execFile)(...commandLine('pg_ctl', stopArgs));
      await promisify(execFile)(...commandLine('pg_ctl', startArgs));
    },
    stop() {
      try {
        stopNow();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
