/**
 * What the .deb tests do to a package, and check in between: dpkg -i, a run as its system user (the story's),
 * an in-place upgrade to a newer version built from the same tree (the configuration and state kept), dpkg -r,
 * dpkg --purge. They run only as root with dpkg and systemd, and fail saying so anywhere else (machine.ts).
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildResult } from '../build.js';
import { REPO } from '../build.js';
import { debName, writeDeb } from '../deb.js';
import { PROGRAMS, versionOf } from '../programs.js';
import type { ProgramName } from '../programs.js';
import { claimMachine, debTestsNeed, dpkgStatus, lockMachine, removeEverything, userExists } from './machine.js';
import { runCommand } from './support.js';

/** What the test file built and made, once its beforeAll has run. */
export interface DebContext {
  built: BuildResult;
  work: string;
  /** An environment whose PATH has no Node.js. */
  noNode: NodeJS.ProcessEnv;
}

/** What the .deb tests do to a package and check in between: install, run, upgrade, remove, purge. */
export function debLifecycle(program: ProgramName, context: () => DebContext, story: DebStory): void {
  describe(`the ${program} .deb`, () => {
    const name = program;
    let release: (() => void) | null = null;
    let upgrade: string;
    const version = versionOf(REPO, PROGRAMS[program]);
    const upgradeVersion = `${version}+test1`;

    beforeAll(async () => {
      const need = debTestsNeed();
      if (need) throw new Error(need);
      release = lockMachine();
      claimMachine(name);
      const { built, work } = context();
      const staged = built.staged.find((tree) => tree.program.name === program)!;
      upgrade = await writeDeb(staged, join(work, 'upgrade'), built.stageDir!, { version: upgradeVersion, compression: 'none' });
      expect(basename(upgrade)).toBe(debName(name, upgradeVersion));
    }, 60_000);

    afterAll(() => {
      if (!release) return;
      removeEverything(name);
      release();
    });

    it('installs with dpkg -i: the command, the commented configuration, the unit, a system user and its state folder', () => {
      const deb = context().built.artefacts.find((a) => a.program === program && a.kind === 'deb')!;
      const install = runCommand('dpkg', ['-i', deb.file]);
      expect(install.stderr).toBe('');
      expect(install.status).toBe(0);
      expect(install.stdout).toContain(`${name} is installed. Next:`);
      expect(dpkgStatus(name)).toBe('install ok installed');

      expect(lstatSync(`/usr/bin/${name}`).isSymbolicLink()).toBe(true);
      const config = PROGRAMS[program].config.installedAs;
      expect(readFileSync(config, 'utf8')).toBe(readFileSync(join(REPO, PROGRAMS[program].config.source), 'utf8'));
      expect(runCommand('stat', ['-c', '%U:%G %a', config]).stdout.trim()).toBe(`root:${name} 640`);
      expect(runCommand('dpkg-query', ['-W', '-f', '${Conffiles}', name]).stdout).toContain(config);

      const user = runCommand('getent', ['passwd', name]).stdout.trim().split(':');
      expect(Number(user[2])).toBeLessThan(1000);
      expect(user[5]).toBe(`/var/lib/${name}`);
      expect(runCommand('stat', ['-c', '%U:%G %a', `/var/lib/${name}`]).stdout.trim()).toBe(`${name}:${name} 700`);

      const unit = readFileSync(`/lib/systemd/system/${name}.service`, 'utf8');
      expect(unit).toMatch(new RegExp(`^ExecStart=/usr/bin/${name} serve`, 'm'));
      expect(unit).toMatch(new RegExp(`^User=${name}$`, 'm'));
      const verified = runCommand('systemd-analyze', ['verify', `/lib/systemd/system/${name}.service`]);
      expect(verified.stderr).toBe('');
      expect(verified.status).toBe(0);
      const ran = runCommand(`/usr/bin/${name}`, [program === 'tessera-lm' ? 'version' : '--help'], { env: context().noNode });
      expect(ran.status).toBe(0);
      expect(ran.stdout).toMatch(program === 'tessera-lm' ? `tessera-lm ${version}` : /Tessera License Center/);
    });

    it('runs as its system user with no Node.js on PATH', () => story.firstRun(), 30_000);

    it('upgrades in place with dpkg -i: the changed configuration and the state are kept', async () => {
      const config = PROGRAMS[program].config.installedAs;
      const configBefore = readFileSync(config, 'utf8');
      const upgraded = runCommand('dpkg', ['-i', upgrade]);
      expect(upgraded.stderr).toBe('');
      expect(upgraded.status).toBe(0);
      expect(upgraded.stdout).not.toContain('is installed. Next:');
      expect(runCommand('dpkg-query', ['-W', '-f', '${Version}', name]).stdout).toBe(upgradeVersion);
      expect(readFileSync(config, 'utf8')).toBe(configBefore);
      expect(readdirSync(join(config, '..')).filter((file) => /dpkg-(new|old|dist)/.test(file))).toEqual([]);
      await story.afterUpgrade();
    }, 30_000);

    it('is removed with dpkg -r, keeping the configuration and the state', () => {
      const config = PROGRAMS[program].config.installedAs;
      const configBefore = readFileSync(config, 'utf8');
      const removed = runCommand('dpkg', ['-r', name]);
      expect(removed.status).toBe(0);
      expect(existsSync(`/usr/bin/${name}`)).toBe(false);
      expect(existsSync(`/usr/lib/${name}`)).toBe(false);
      expect(existsSync(`/lib/systemd/system/${name}.service`)).toBe(false);
      expect(dpkgStatus(name)).toBe('deinstall ok config-files');
      expect(readFileSync(config, 'utf8')).toBe(configBefore);
      story.stateKept();
      expect(userExists(name)).toBe(true);
    });

    it('is purged with dpkg --purge: the configuration goes, the state stays and the message says so', () => {
      const purged = runCommand('dpkg', ['--purge', name]);
      expect(purged.status).toBe(0);
      expect(purged.stdout).toContain(`/var/lib/${name} is kept`);
      expect(dpkgStatus(name)).toBeNull();
      expect(existsSync(PROGRAMS[program].config.installedAs)).toBe(false);
      story.stateKept();
    });
  });
}

export interface DebStory {
  /** Configures the installed program, runs it as its user and leaves state behind. */
  firstRun(): Promise<void>;
  /** Runs the upgraded program on the same configuration and state, and checks both were kept. */
  afterUpgrade(): Promise<void>;
  /** The state is still on disk. */
  stateKept(): void;
}
