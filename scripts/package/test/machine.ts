/**
 * The .deb tests install packages into this machine with dpkg. They need root, dpkg and systemd's tools, and they
 * must leave the machine as they found it: they refuse to touch a tessera-lm or tessera-center that they did not
 * install (a real installation), and they clean up after themselves, also after a run that was killed half-way
 * (recognised by the marker they leave in /etc/<name>/ while their package is installed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TOOLS = ['dpkg', 'dpkg-deb', 'dpkg-query', 'systemd-analyze', 'getent', 'userdel'];

/** null when the .deb tests can run here; otherwise the sentence that says what they need. */
export function debTestsNeed(uid = process.getuid?.(), has: (tool: string) => boolean = onPath): string | null {
  const missing: string[] = [];
  if (uid !== 0) missing.push('root');
  for (const tool of TOOLS) if (!has(tool)) missing.push(tool);
  if (missing.length === 0) return null;
  return (
    `The .deb tests install tessera-lm and tessera-center with dpkg -i on this machine, and lack ${missing.join(', ')}: ` +
    'run the tests as root on a Debian-based machine with dpkg and systemd (its systemd-analyze checks the units).'
  );
}

const LOCK = '/run/lock/tessera-package-tests.pid';

/**
 * One test run at a time installs packages on a machine (two would purge each other's): the lock is this
 * process's id in a file, taken over when its process is gone.
 */
export function lockMachine(): () => void {
  mkdirSync('/run/lock', { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(LOCK, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(LOCK, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(LOCK, 'utf8').trim());
      if (holder === process.pid || !alive(holder)) rmSync(LOCK, { force: true });
      else
        throw new Error(
          `Another test run (process ${holder}) is installing the packages on this machine: run the .deb tests one at a time.`,
        );
    }
  }
  throw new Error(`Cannot take ${LOCK}.`);
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const markerOf = (name: string) => join('/etc', name, '.installed-by-tessera-package-test');

/** dpkg's status of `name` ("install ok installed", "deinstall ok config-files"), or null when dpkg knows none. */
export function dpkgStatus(name: string): string | null {
  const query = spawnSync('dpkg-query', ['-W', '-f', '${Status}', name], { encoding: 'utf8' });
  const status = query.status === 0 ? query.stdout.trim() : '';
  return status === '' || status.startsWith('unknown') ? null : status;
}

export function userExists(name: string): boolean {
  return spawnSync('getent', ['passwd', name]).status === 0;
}

/**
 * Makes the machine ready to install `name`: a leftover of an earlier test run is removed; anything else of that
 * name (the package, its folders, its user) stops the test with what to do.
 */
export function claimMachine(name: string): void {
  if (existsSync(markerOf(name))) removeEverything(name);
  const found = [
    dpkgStatus(name) && `the package (${dpkgStatus(name)})`,
    existsSync(`/etc/${name}`) && `/etc/${name}`,
    existsSync(`/var/lib/${name}`) && `/var/lib/${name}`,
    userExists(name) && `the user ${name}`,
  ].filter(Boolean);
  if (found.length) {
    throw new Error(
      `This machine has ${found.join(', ')} already, not from these tests: the .deb test would replace or delete it. ` +
        `Remove it (dpkg --purge ${name}; rm -r /etc/${name} /var/lib/${name}; userdel ${name}) or run the tests on another machine.`,
    );
  }
  mkdirSync(`/etc/${name}`, { recursive: true });
  writeFileSync(markerOf(name), 'tessera package tests: remove with dpkg --purge and rm -r /etc/NAME /var/lib/NAME\n');
}

/** Purges the package and removes what purge keeps on purpose (the state, the user): the test's own install only. */
export function removeEverything(name: string): void {
  if (dpkgStatus(name) !== null) spawnSync('dpkg', ['--purge', name], { stdio: 'ignore' });
  for (const dir of [`/etc/${name}`, `/var/lib/${name}`, `/var/log/${name}`]) rmSync(dir, { recursive: true, force: true });
  if (userExists(name)) spawnSync('userdel', [name], { stdio: 'ignore' });
  if (spawnSync('getent', ['group', name]).status === 0) spawnSync('groupdel', [name], { stdio: 'ignore' });
}

function onPath(tool: string): boolean {
  return (
    spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore', env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } })
      .status === 0
  );
}
