/** The packager's small rules, without building: the runtime pin, Debian versions, the units, the launchers. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { debianVersion, installedUnit, maintainerScript } from '../deb.js';
import { PROGRAMS } from '../programs.js';
import { compareVersions, NODE_RUNTIME } from '../runtime.js';
import { launcherOf } from '../tarball.js';
import { debTestsNeed } from './machine.js';

describe('the packager', () => {
  it('ships the Node.js that scripts/ci/with-node.sh pins for Node 24, with the same integrity', () => {
    const script = readFileSync(new URL('../../ci/with-node.sh', import.meta.url), 'utf8');
    expect(/PINNED=\(\[24\]=([\d.]+)\)/.exec(script)?.[1]).toBe(NODE_RUNTIME.version);
    expect(script).toContain(`[${NODE_RUNTIME.package}@${NODE_RUNTIME.version}]=${NODE_RUNTIME.integrity}`);
  });

  it('gives the .deb a Debian version that sorts a pre-release before its release', () => {
    expect(debianVersion('0.1.0')).toBe('0.1.0');
    expect(debianVersion('1.2.0-rc.1')).toBe('1.2.0~rc.1');
    expect(compareVersions([2, 34], [2, 28])).toBeGreaterThan(0);
    expect(compareVersions([2, 28], [2, 28, 0])).toBe(0);
  });

  it('points the installed units at /usr/bin, and refuses a unit it cannot point there', () => {
    for (const program of Object.values(PROGRAMS)) {
      const unit = installedUnit(readFileSync(new URL(`../../../${program.unit}`, import.meta.url), 'utf8'), program);
      expect(unit).toMatch(new RegExp(`^ExecStart=/usr/bin/${program.name} serve`, 'm'));
      expect(unit).not.toContain('/usr/bin/env');
    }
    expect(() => installedUnit('[Service]\nExecStart=/opt/lm serve\n', PROGRAMS['tessera-lm'])).toThrow(
      /no "ExecStart=\/usr\/bin\/env tessera-lm" line/,
    );
  });

  it('fills every placeholder of the launchers and the maintainer scripts', () => {
    for (const program of Object.values(PROGRAMS)) {
      const texts = [launcherOf(program), ...['postinst', 'prerm', 'postrm'].map((script) => maintainerScript(script, program))];
      for (const text of texts) expect(text).not.toMatch(/@[A-Z_]+@/);
    }
    expect(launcherOf(PROGRAMS['tessera-center'])).toContain('TESSERA_PORTAL_DIR="${TESSERA_PORTAL_DIR:-$home/share/portal}"');
    expect(launcherOf(PROGRAMS['tessera-lm'])).toContain('exec "$home/lib/node" "$home/lib/tessera-lm.mjs" "$@"');
  });

  it('says what the .deb tests need when the machine lacks it, instead of skipping them', () => {
    expect(debTestsNeed(0, () => true)).toBeNull();
    expect(debTestsNeed(1000, (tool) => tool !== 'systemd-analyze')).toBe(
      'The .deb tests install tessera-lm and tessera-center with dpkg -i on this machine, and lack root, systemd-analyze: ' +
        'run the tests as root on a Debian-based machine with dpkg and systemd (its systemd-analyze checks the units).',
    );
  });
});
