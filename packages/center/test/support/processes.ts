/**
 * The real tessera-center binary (the built dist, through the committed launcher) as child processes, for the
 * multi-instance and kill -9 tests: `serve` on port 0, the CLI, SIGKILL.
 * Every child gets only the environment it is given, and every started server is tracked so killAll() can end
 * them whatever happened. The SMTP receiver is in ./smtp.ts.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/tessera-center.js', import.meta.url));

/** What a License Center process is given: nothing else of the test's environment. */
export interface LcEnv {
  TESSERA_MASTER_KEY: string;
  /** A round of background jobs every 200 ms: a queued mail leaves at once instead of after up to 5 s. */
  TESSERA_JOB_PERIOD_MS: string;
  DATABASE_URL?: string;
  SMTP_URL?: string;
}

export function lcEnv(databaseUrl: string | null, extra: { SMTP_URL?: string } = {}): LcEnv {
  return {
    TESSERA_MASTER_KEY: randomBytes(32).toString('base64url'),
    TESSERA_JOB_PERIOD_MS: '200',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...extra,
  };
}

export interface RunningLc {
  readonly url: string;
  readonly pid: number;
  /** The last of what it wrote (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGKILL, then waits until it is gone. */
  kill9(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<RunningLc>();

/** Starts `tessera-center serve --port 0` and waits for the line saying where it listens. */
export function serveLc(dataDir: string, env: LcEnv): Promise<RunningLc> {
  const child = spawn(process.execPath, [BIN, '--data', dataDir, 'serve', '--port', '0'], {
    env: { ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stderr = '';
  let started = false;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tessera-center did not start in 20 s: ${output}`));
    }, 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (started) return;
      stderr += chunk.toString();
      const match = /serving on (http:\/\/[\d.]+:\d+) /.exec(stderr);
      if (!match) return;
      started = true;
      clearTimeout(timer);
      const lc: RunningLc = {
        url: match[1]!,
        pid: child.pid!,
        output: () => output,
        async kill9() {
          child.kill('SIGKILL');
          await exited;
          running.delete(lc);
        },
        async stop() {
          child.kill('SIGTERM');
          const code = await exited;
          running.delete(lc);
          return code;
        },
      };
      running.add(lc);
      resolve(lc);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tessera-center exited with ${code} before serving: ${output}`));
    });
  });
}

/** Kills every server still running (afterAll, whatever happened). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((lc) => lc.kill9()));
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one tessera-center command to its end (asynchronously: the test's SMTP receiver keeps answering). */
export function runCli(dataDir: string, env: LcEnv, args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, '--data', dataDir, ...args], { env: { ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

/** Polls `check` until it gives a value (not undefined, null or false); fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
