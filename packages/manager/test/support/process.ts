/** The real tessera-lm binary (the built dist) as a child process: for the CLI, restarts and kill -9. */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { World } from './world.js';

export const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A config file for the binary: port 0 and 120-second leases unless a test needs a fixed address or short leases. */
export function writeConfig(world: World, extra = '', options: { port?: number; leaseTtlSeconds?: number } = {}): string {
  const file = join(world.dir, 'config.yaml');
  writeFileSync(
    file,
    `name: lm-proc
host: 127.0.0.1
port: ${options.port ?? 0}
dataPath: ${world.config.dataPath}
trust: ${world.trustPath}
leaseTtlSeconds: ${options.leaseTtlSeconds ?? 120}
log:
  mode: console
  level: warn
${extra}`,
  );
  return file;
}

export interface RunningLm {
  child: ChildProcess;
  /** host:port */
  addr: string;
  /** http(s)://host:port, as the LM says it serves. */
  url: string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/** Starts `tessera-lm serve` and waits for the line that says where it listens. */
export function serve(configFile: string): Promise<RunningLm> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tessera-lm did not start: ${stderr}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving on (https?:\/\/([\d.]+:\d+))/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          addr: match[2]!,
          url: match[1]!,
          async stop() {
            child.kill('SIGTERM');
            return exited;
          },
          async kill9() {
            child.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tessera-lm exited with ${code}: ${stderr}`));
    });
  });
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], input?: string): CliRun {
  const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, timeout: 20_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
