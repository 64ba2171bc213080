/**
 * The built portal (apps/portal/dist), made again when it is missing or older than its sources: the browser tests
 * drive it and the License Center's packages ship it, and neither may take a stale one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PORTAL = fileURLToPath(new URL('../apps/portal/', import.meta.url));

function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

/** Builds the portal when dist is missing or older than its sources; answers its dist folder. */
export function buildPortalIfStale(log: (line: string) => void): string {
  const dist = join(PORTAL, 'dist');
  const built = join(dist, 'index.html');
  const sources = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((name) => join(PORTAL, name));
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newestChange))) return dist;
  log('building the portal (apps/portal)...');
  const vite = join(createRequire(join(PORTAL, 'package.json')).resolve('vite/package.json'), '..', 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: PORTAL, stdio: 'inherit' });
  return dist;
}
