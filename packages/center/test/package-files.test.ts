/**
 * The packages folder on disk: unfinished uploads (temporary files) are swept once a day old, while package files
 * and uploads still running stay.
 */
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PackageFiles } from '../src/services/package-files.js';

const DAY = 86_400_000;

describe('the packages folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-packages-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sweeps temporary files of uploads older than a day, and nothing else', async () => {
    const now = Date.now();
    const old = new Date(now - 2 * DAY);
    for (const name of ['.incoming-0a1b', '.incoming-2c3d', 'pkg_0000000000000000000a']) writeFileSync(join(dir, name), 'x');
    utimesSync(join(dir, '.incoming-0a1b'), old, old);
    utimesSync(join(dir, 'pkg_0000000000000000000a'), old, old);
    const files = new PackageFiles(dir);
    expect(await files.sweepIncoming(now, DAY)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['.incoming-2c3d', 'pkg_0000000000000000000a']);
    expect(await new PackageFiles(join(dir, 'not-made-yet')).sweepIncoming(now, DAY)).toBe(0);
  });

  it('refuses a path outside the folder for anything but a package id', () => {
    const files = new PackageFiles(dir);
    expect(files.pathOf('pkg_0000000000000000000a')).toBe(join(dir, 'pkg_0000000000000000000a'));
    expect(() => files.pathOf('../etc/passwd')).toThrow(/Not a package id/);
  });
});
