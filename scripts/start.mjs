#!/usr/bin/env node
// npm start: the License Center on the embedded SQLite database in ./data, with a first admin's login link, and the
// License Manager's packages that `npm run package` made (dist/packages, or TESSERA_LM_PACKAGES_DIR) published to it.
// TESSERA_DATA, PORT, DATABASE_URL and the other variables of docs/license-center.md apply as to `tessera-center serve`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(new URL('../packages/center/dist/cli/main.js', import.meta.url))) {
  console.error('The License Center is not built yet. Run "npm install" (it builds), or "npm run build".');
  process.exit(1);
}
// The portal is built by `npm install` too; a checkout without it (or after a clean) builds it here.
if (!existsSync(new URL('../apps/portal/dist/index.html', import.meta.url))) {
  console.log('Tessera: building the web portal (apps/portal), once...');
  const npm = process.env.npm_execpath;
  const built = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build', '-w', '@tessera/portal'], { cwd: root, stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build', '-w', '@tessera/portal'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (built.status !== 0)
    console.error('Tessera: the portal did not build; the License Center starts with its API only (see the messages above).');
}
const admin = process.env.TESSERA_FIRST_ADMIN ?? 'admin@localhost.example';
const data = process.env.TESSERA_DATA ?? 'data';
publishLmPackages(process.env.TESSERA_LM_PACKAGES_DIR ?? 'dist/packages');
console.log(`Tessera: starting the License Center (data in ${data}).`);
const child = spawn(
  process.execPath,
  ['packages/center/bin/tessera-center.js', '--data', data, 'serve', '--port', process.env.PORT ?? '8080', '--first-admin', admin],
  { cwd: root, stdio: 'inherit' },
);
// Ctrl-C reaches the child through the terminal's process group; a SIGTERM to npm is passed on.
process.on('SIGTERM', () => child.kill('SIGTERM'));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));

/**
 * Publishes the License Manager's tarball and .deb found in `dir` (tessera-center lm-packages publish: the same
 * files again change nothing), so every customer downloads them from the portal. Without them the License Center
 * still starts, and says how to make them.
 */
function publishLmPackages(dir) {
  const folder = resolve(root, dir);
  const files = existsSync(folder)
    ? readdirSync(folder).filter((name) => /^tessera-lm(-.+-linux-x64\.tar\.gz|_.+_amd64\.deb)$/.test(name))
    : [];
  if (files.length === 0) {
    console.log(`Tessera: no License Manager packages in ${dir}: "npm run package" makes them, and "npm start" then publishes them.`);
    return;
  }
  console.log(`Tessera: publishing the License Manager packages in ${dir}...`);
  const published = spawnSync(
    process.execPath,
    ['packages/center/bin/tessera-center.js', '--data', data, 'lm-packages', 'publish', ...files.map((name) => join(folder, name))],
    { cwd: root, stdio: 'inherit' },
  );
  if (published.status !== 0) console.error('Tessera: the License Manager packages were not published (see above); starting without them.');
}
