/** A child process as a promise: resolves when it exits 0, rejects with the end of its output otherwise. */
import { execFile } from 'node:child_process';

export function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${`${stderr}${stdout}`.trim().slice(-2000) || error.message}`));
      else resolve();
    });
  });
}
