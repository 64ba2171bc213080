/**
 * The packages folder on disk: unfinished uploads (temporary files) are swept once a day old, while package files
 * and uploads still running stay; and the three package settings, with their defaults and refusals.
 */
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCenterConfig } from '../src/config.js';
import { PackageFiles } from '../src/services/packages/package-files.js';

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

describe('package settings', () => {
  const masterKey = { TESSERA_MASTER_KEY: Buffer.alloc(32, 7).toString('base64url') };

  it('default to DATA/packages, 2 GiB and 15-minute links, and take other values', () => {
    const defaults = loadCenterConfig({ data: '/srv/lc', port: '0' }, masterKey);
    expect(defaults.ok && defaults.config.packages).toEqual({ dir: '/srv/lc/packages', maxBytes: 2 * 1024 ** 3, linkMinutes: 15 });
    const set = loadCenterConfig(
      { data: '/srv/lc', port: '0' },
      {
        ...masterKey,
        TESSERA_PACKAGES_DIR: '/mnt/shared/packages',
        TESSERA_PACKAGE_MAX_BYTES: '1048576',
        TESSERA_DOWNLOAD_LINK_MINUTES: '60',
      },
    );
    expect(set.ok && set.config.packages).toEqual({ dir: '/mnt/shared/packages', maxBytes: 1048576, linkMinutes: 60 });
  });

  it('names each bad value at once', () => {
    const loaded = loadCenterConfig(
      { data: '/srv/lc', port: '0' },
      { ...masterKey, TESSERA_PACKAGE_MAX_BYTES: '2GB', TESSERA_DOWNLOAD_LINK_MINUTES: '0' },
    );
    expect(loaded.ok).toBe(false);
    expect(!loaded.ok && loaded.problems).toEqual([
      expect.stringMatching(/^TESSERA_PACKAGE_MAX_BYTES must be a whole number of bytes.*"2GB"/),
      expect.stringMatching(/^TESSERA_DOWNLOAD_LINK_MINUTES must be a whole number of minutes from 1 to 1440 \(got "0"\)/),
    ]);
  });
});
