/**
 * The .deb of a staged program, built with dpkg-deb (`<name>_<version>_amd64.deb`):
 *
 *   /usr/lib/<name>/                  the staged tree (bin, lib, share)
 *   /usr/bin/<name>                   a link to its launcher
 *   /etc/<name>/<config>              the commented example configuration: a conffile, so dpkg keeps the
 *                                     administrator's changes on upgrade and removal (purge removes it)
 *   /lib/systemd/system/<name>.service
 *   /usr/share/doc/<name>/            README, copyright
 *
 * postinst makes the <name> system user and /var/lib/<name> (mode 0700, kept on removal and purge: it holds keys),
 * and /var/log/<name>; see files/.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Program } from './programs.js';
import type { StagedProgram } from './tarball.js';
import { run } from './run.js';

const FILES = new URL('./files/', import.meta.url);

export interface DebOptions {
  /** The package's version; the staged one when not given (tests build an upgrade with another). */
  version?: string;
  /** dpkg-deb's compressor: gzip, which every dpkg reads, unless a test wants speed (none). */
  compression?: 'gzip' | 'xz' | 'none';
}

/** Builds the .deb of `staged` into `outDir`; answers its path. `workDir` holds the package's tree meanwhile. */
export async function writeDeb(staged: StagedProgram, outDir: string, workDir: string, options: DebOptions = {}): Promise<string> {
  const { program } = staged;
  const version = debianVersion(options.version ?? staged.version);
  const root = join(workDir, `${program.name}_${version}`);
  rmSync(root, { recursive: true, force: true });
  const home = join(root, 'usr', 'lib', program.name);
  mkdirSync(join(root, 'usr', 'lib'), { recursive: true });
  cpSync(staged.dir, home, { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
  symlinkSync(`../lib/${program.name}/bin/${program.name}`, join(root, 'usr', 'bin', program.name));

  const config = join(root, program.config.installedAs);
  mkdirSync(join(config, '..'), { recursive: true });
  copyFileSync(join(staged.dir, 'share', basename(program.config.installedAs)), config);

  const units = join(root, 'lib', 'systemd', 'system');
  mkdirSync(units, { recursive: true });
  writeFileSync(
    join(units, `${program.name}.service`),
    installedUnit(readFileSync(join(staged.dir, 'share', basename(program.unit)), 'utf8'), program),
  );

  const doc = join(root, 'usr', 'share', 'doc', program.name);
  mkdirSync(doc, { recursive: true });
  copyFileSync(join(staged.dir, 'share', 'doc', 'README'), join(doc, 'README'));
  writeFileSync(join(doc, 'copyright'), copyrightOf(readFileSync(join(staged.dir, 'share', 'doc', 'node-LICENSE'), 'utf8')));

  const control = join(root, 'DEBIAN');
  mkdirSync(control);
  execFileSync('chmod', ['-R', 'u=rwX,go=rX', root]);
  const installedKiB = Number(execFileSync('du', ['-sk', '--exclude=DEBIAN', root], { encoding: 'utf8' }).split('\t')[0]);
  writeFileSync(join(control, 'control'), controlOf(program, version, staged.glibc, installedKiB));
  writeFileSync(join(control, 'conffiles'), `${program.config.installedAs}\n`);
  for (const script of ['postinst', 'prerm', 'postrm']) {
    writeFileSync(join(control, script), maintainerScript(script, program), { mode: 0o755 });
  }

  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, debName(program.name, version));
  await run('dpkg-deb', ['--root-owner-group', `-Z${options.compression ?? 'gzip'}`, '--build', root, file]);
  rmSync(root, { recursive: true, force: true });
  return file;
}

export function debName(name: string, version: string): string {
  return `${name}_${debianVersion(version)}_amd64.deb`;
}

/** A semver as Debian orders it: a pre-release (1.2.0-rc.1) sorts before its release with "~". */
export function debianVersion(version: string): string {
  return version.replace('-', '~');
}

/** The unit as installed: the program from /usr/bin, not from whatever PATH holds. */
export function installedUnit(unit: string, program: Program): string {
  const from = `ExecStart=/usr/bin/env ${program.name}`;
  if (!unit.includes(from)) throw new Error(`${program.unit} has no "${from}" line to point at /usr/bin/${program.name}`);
  return unit.replace(from, `ExecStart=/usr/bin/${program.name}`);
}

export function maintainerScript(script: string, program: Program): string {
  return readFileSync(new URL(script, FILES), 'utf8')
    .replaceAll('@NAME@', program.name)
    .replaceAll('@CONFIG@', program.config.installedAs)
    .replaceAll('@KEPT@', program.kept)
    .replace('@NEXT_STEPS@', program.nextSteps);
}

function controlOf(program: Program, version: string, glibc: string, installedKiB: number): string {
  const wrapped = wrap(program.description, 78).map((line) => ` ${line}`);
  return [
    `Package: ${program.name}`,
    `Version: ${version}`,
    'Architecture: amd64',
    'Maintainer: Tessera maintainers <tessera@localhost>',
    `Installed-Size: ${installedKiB}`,
    // The runtime and the addons link glibc and libstdc++; adduser makes the system user.
    `Depends: adduser, libc6 (>= ${glibc}), libstdc++6 (>= 5)`,
    'Section: net',
    'Priority: optional',
    `Description: ${program.summary}`,
    ...wrapped,
    '',
  ].join('\n');
}

function copyrightOf(nodeLicense: string): string {
  return [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    'Upstream-Name: Tessera',
    '',
    'Files: *',
    'License: Apache-2.0',
    ' On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0. The licenses of the bundled',
    ' JavaScript dependencies are kept at the end of the bundled program (lib/*.mjs).',
    '',
    'Files: usr/lib/*/lib/node',
    'License: Node.js',
    ...nodeLicense.split('\n').map((line) => (line.trim() === '' ? ' .' : ` ${line}`)),
    '',
  ].join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
