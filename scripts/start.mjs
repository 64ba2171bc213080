#!/usr/bin/env node
// npm start: the License Center on the embedded SQLite database in ./data, with a first admin's login link.
// TESSERA_DATA, PORT, DATABASE_URL and the other variables of docs/license-center.md apply as to `tessera-center serve`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
console.log(`Tessera: starting the License Center (data in ./data; the License Manager is "npx tessera-lm", see the README).`);
const child = spawn(
  process.execPath,
  [
    'packages/center/bin/tessera-center.js',
    '--data',
    process.env.TESSERA_DATA ?? 'data',
    'serve',
    '--port',
    process.env.PORT ?? '8080',
    '--first-admin',
    admin,
  ],
  { cwd: root, stdio: 'inherit' },
);
// Ctrl-C reaches the child through the terminal's process group; a SIGTERM to npm is passed on.
process.on('SIGTERM', () => child.kill('SIGTERM'));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
