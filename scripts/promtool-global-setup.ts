/**
 * Prometheus's promtool, for the tests that check the License Center's and the License Manager's /metrics with
 * `promtool check metrics`: found on the PATH, or installed with apt-get (Debian's "prometheus" package) when
 * missing, so a fresh machine needs nothing done by hand. Tests get its path with inject('promtoolPath'). A tool that cannot be had fails the
 * run; it is never skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    promtoolPath: string;
  }
}

const CANDIDATES = ['/usr/bin/promtool', '/usr/local/bin/promtool'];

function findPromtool(): string | null {
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

function install(): string {
  process.stderr.write('[tests] promtool not found: installing the Debian package "prometheus" (apt-get update && apt-get install)...\n');
  if (userInfo().uid !== 0)
    throw new Error('promtool is missing and installing it needs root: apt-get install prometheus (it brings promtool).');
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const path = findPromtool();
  if (!path) throw new Error('apt-get installed prometheus but no promtool was found in /usr/bin.');
  return path;
}

export default function setup(project: TestProject): void {
  project.provide('promtoolPath', findPromtool() ?? install());
}
