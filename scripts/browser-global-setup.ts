/**
 * What the portal's browser tests need before they start: a current build of apps/portal (built again when a
 * source is newer than it), and Debian's Chromium, installed with apt-get when it is missing, so a fresh
 * machine needs nothing done by hand. Tests get the browser's path with inject('chromiumPath').
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { TestProject } from 'vitest/node';
import { buildPortalIfStale } from './portal-build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumPath: string;
  }
}

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function findChromium(): string | null {
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/** CHROMIUM_PATH names another Chromium to drive; it must exist (nothing is installed in its place). */
function givenChromium(): string | null {
  const given = process.env.CHROMIUM_PATH?.trim();
  if (!given) return null;
  if (!existsSync(given)) throw new Error(`CHROMIUM_PATH names ${given}, which does not exist.`);
  return given;
}

function installChromium(): string {
  process.stderr.write('[tests] Chromium not found: installing the Debian package "chromium" (apt-get update && apt-get install)...\n');
  if (userInfo().uid !== 0)
    throw new Error(
      'Chromium is missing and installing it needs root: apt-get install chromium, or set CHROMIUM_PATH to a Chromium binary.',
    );
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-liberation'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const path = findChromium();
  if (!path) throw new Error('apt-get installed chromium but no /usr/bin/chromium was found.');
  return path;
}

export default function setup(project: TestProject): void {
  buildPortalIfStale((line) => process.stderr.write(`[tests] ${line}\n`));
  const chromium = givenChromium() ?? findChromium() ?? installChromium();
  project.provide('chromiumPath', chromium);
}
