/**
 * A throwaway PostgreSQL cluster for the lc-* benchmarks, started the way the tests start theirs
 * (scripts/postgres-global-setup.ts): the Debian server binaries under /usr/lib/postgresql, run as the postgres
 * user when this is root, listening on 127.0.0.1 and a socket in its own temporary folder. Stock settings (fsync on).
 * It is stopped and deleted by stop(), and by an exit hook should a benchmark leave without calling it.
 *
 * The benchmark never installs anything: without the binaries, findPostgresBin() is null and the PostgreSQL half
 * is skipped with a note.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './lm-harness.js';
import { procCpuSeconds } from './machine.js';

const PG_ROOT = '/usr/lib/postgresql';

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/<database> of the database made for the benchmark. */
  readonly databaseUrl: string;
  /** The server version's directory name (e.g. "15"). */
  readonly version: string;
  /** The postmaster's pid, for CPU readings. */
  readonly pid: number;
  /** CPU seconds used by the postmaster and all its backends so far (from /proc), or null. */
  cpuSeconds(): number | null;
  stop(): void;
}

/** The newest installed server's bin folder, or null when PostgreSQL is not installed. */
export function findPostgresBin(): string | null {
  if (!existsSync(PG_ROOT)) return null;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(PG_ROOT, versions[0]!, 'bin') : null;
}

const running = new Set<() => void>();
let exitHook = false;

/**
 * initdb, start (pinned to `cpu` when given, so its backends share the core of the License Center under test) and
 * create the database `tessera_bench`.
 */
export async function startPostgres(bin: string, options: { cpu?: number | null } = {}): Promise<PostgresCluster> {
  const dir = mkdtempSync(join(os.tmpdir(), 'tessera-bench-pg-'));
  const asRoot = os.userInfo().uid === 0;
  // PostgreSQL refuses to run as root: as root, run it as the postgres user.
  const run = (command: string, args: string[]) => {
    const argv = [join(bin, command), ...args];
    if (options.cpu !== undefined && options.cpu !== null) argv.unshift('taskset', '-c', String(options.cpu));
    const [file, rest] = asRoot ? ['runuser', ['-u', 'postgres', '--', ...argv]] : [argv[0]!, argv.slice(1)];
    const result = spawnSync(file, rest, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout || result.error?.message}`);
  };
  const data = join(dir, 'data');
  let started = false;
  const stop = () => {
    running.delete(stop);
    try {
      if (started) run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } catch {
      // already gone
    } finally {
      started = false;
      rmSync(dir, { recursive: true, force: true });
    }
  };
  running.add(stop);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const stopOne of [...running]) stopOne();
    });
  }
  try {
    if (asRoot) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, id('-u'), id('-g'));
    }
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
    run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', serverOptions, '-w', 'start']);
    started = true;
    const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    const version = String((await client.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? '?');
    await client.query('create database tessera_bench');
    await client.end();
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n', 1)[0]);
    return {
      databaseUrl: `postgres://postgres@127.0.0.1:${port}/tessera_bench`,
      version,
      pid,
      cpuSeconds: () => processTreeCpuSeconds(pid),
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}

/**
 * CPU seconds of the postmaster, its live children (the backends, the background workers) and its children that
 * have exited (an autovacuum worker), from /proc: it only grows.
 */
function processTreeCpuSeconds(pid: number): number | null {
  try {
    let total = procCpuSeconds(pid, true);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === pid) total += procCpuSeconds(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    return total;
  } catch {
    return null;
  }
}
