/**
 * `npm run package`: for linux-x64, the tarball and the .deb of the License Manager and of the License Center.
 * Every slow part is cached under node_modules/.cache/tessera-package/, keyed by what it is made of: the Node
 * runtime (by version), better-sqlite3 compiled for it (by its version and the runtime's ABI), and the compressed
 * packages (by the digest of their staged tree and of this packager), so a build with nothing changed only
 * bundles, stages and compares.
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPortalIfStale } from '../portal-build.js';
import { argon2, betterSqlite3 } from './addons.js';
import type { NativeFile } from './addons.js';
import { bundleProgram } from './bundle.js';
import { debName, writeDeb } from './deb.js';
import { PROGRAMS, versionOf } from './programs.js';
import type { ProgramName } from './programs.js';
import { compareVersions, glibcNeeded, nodeRuntime } from './runtime.js';
import type { Runtime } from './runtime.js';
import { stageProgram, tarballName, writeTarball } from './tarball.js';
import type { StagedProgram } from './tarball.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_CACHE = join(REPO, 'node_modules', '.cache', 'tessera-package');
export const DEFAULT_OUT = join(REPO, 'dist', 'packages');

export interface Artefact {
  program: ProgramName;
  kind: 'tarball' | 'deb';
  file: string;
  version: string;
  /** As the License Center lists it: linux-x64 for the tarball, debian-amd64 for the .deb. */
  platform: 'linux-x64' | 'debian-amd64';
  size: number;
  sha256: string;
}

export interface BuildOptions {
  outDir?: string;
  cacheDir?: string;
  programs?: ProgramName[];
  /** Keep the staged trees (their folder is answered); they are removed otherwise. */
  keepStage?: boolean;
  log?(line: string): void;
}

export interface BuildResult {
  artefacts: Artefact[];
  staged: StagedProgram[];
  /** The staged trees' folder, when kept. */
  stageDir: string | null;
  runtime: Runtime;
  seconds: number;
}

export async function buildPackages(options: BuildOptions = {}): Promise<BuildResult> {
  const started = Date.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`package: ${line}\n`));
  const outDir = options.outDir ?? DEFAULT_OUT;
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE;
  const names = options.programs ?? (Object.keys(PROGRAMS) as ProgramName[]);
  mkdirSync(cacheDir, { recursive: true });
  const missing = ['tar', 'gzip', 'dpkg-deb', 'npm'].filter((tool) => !onPath(tool));
  if (missing.length) {
    throw new Error(
      `npm run package needs ${missing.join(', ')} on PATH (tar and gzip for the tarballs, dpkg-deb from dpkg for the .debs)`,
    );
  }

  const runtime = nodeRuntime(cacheDir, log);
  const addonOptions = { repo: REPO, cacheDir, runtime, log };
  const natives: Record<string, NativeFile> = {};
  const nativeOf = (name: 'better-sqlite3' | 'argon2') =>
    (natives[name] ??= name === 'argon2' ? argon2(addonOptions) : betterSqlite3(addonOptions));
  if (names.includes('tessera-center')) buildPortalIfStale(log);

  const stageDir = mkdtempSync(join(cacheDir, '.stage-'));
  const staged: StagedProgram[] = [];
  const artefacts: Artefact[] = [];
  try {
    for (const name of names) {
      const program = PROGRAMS[name];
      const version = versionOf(REPO, program);
      const bundle = join(stageDir, `${name}.bundle.mjs`);
      await bundleProgram(join(REPO, program.entry), bundle);
      const programNatives = program.natives.map(nativeOf);
      const glibc = newestGlibc([runtime.node, ...programNatives.map((native) => native.source)]);
      staged.push(stageProgram({ repo: REPO, program, version, runtime, bundle, natives: programNatives, glibc, stageDir }));
      rmSync(bundle);
    }
    // Compressing is most of a build: every package at once, on every core.
    const made = await Promise.all(staged.map((tree) => compressed(tree, cacheDir, stageDir, log)));
    mkdirSync(outDir, { recursive: true });
    for (const [index, tree] of staged.entries()) {
      for (const kind of ['tarball', 'deb'] as const) {
        const file = join(outDir, basename(made[index]![kind]));
        copyFileSync(made[index]![kind], file);
        artefacts.push({
          program: tree.program.name,
          kind,
          file,
          version: tree.version,
          platform: kind === 'tarball' ? 'linux-x64' : 'debian-amd64',
          size: statSync(file).size,
          sha256: sha256Of(file),
        });
      }
    }
  } finally {
    if (!options.keepStage) rmSync(stageDir, { recursive: true, force: true });
  }
  writeFileSync(join(outDir, 'SHA256SUMS'), artefacts.map((a) => `${a.sha256}  ${basename(a.file)}\n`).join(''));
  return { artefacts, staged, stageDir: options.keepStage ? stageDir : null, runtime, seconds: (Date.now() - started) / 1000 };
}

/**
 * The tarball and the .deb of a staged tree, from the cache when the same tree (and packager) made them last time;
 * one set per program is kept.
 */
async function compressed(tree: StagedProgram, cacheDir: string, stageDir: string, log: (line: string) => void) {
  const { name } = tree.program;
  const artefacts = join(cacheDir, 'artefacts');
  const cached = join(artefacts, `${name}-${treeDigest(tree.dir)}`);
  const files = { tarball: join(cached, tarballName(name, tree.version)), deb: join(cached, debName(name, tree.version)) };
  if (existsSync(join(cached, '.complete'))) {
    log(`${name} ${tree.version}: unchanged since the last build, the packages are taken from the cache`);
    return files;
  }
  mkdirSync(artefacts, { recursive: true });
  for (const old of readdirSync(artefacts).filter((entry) => entry.startsWith(`${name}-`)))
    rmSync(join(artefacts, old), { recursive: true, force: true });
  log(`compressing ${basename(files.tarball)} and ${basename(files.deb)}`);
  await Promise.all([writeTarball(tree, cached, sourceDate()), writeDeb(tree, cached, stageDir)]);
  writeFileSync(join(cached, '.complete'), '');
  return files;
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

export function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The newest glibc any of the ELF files needs: what the .deb depends on and the README states. */
function newestGlibc(files: string[]): string {
  let newest = [2, 17];
  for (const file of files) {
    const needed = glibcNeeded(file)?.split('.').map(Number);
    if (needed && compareVersions(needed, newest) > 0) newest = needed;
  }
  return newest.join('.');
}

/**
 * What the packages are made of: every staged file (path, mode, content) and this packager's own sources, so a
 * change to either makes new packages and anything else reuses the last ones.
 */
function treeDigest(dir: string): string {
  const hash = createHash('sha256');
  const add = (root: string, include: (name: string) => boolean) => {
    const walk = (path: string) => {
      const stat = statSync(path);
      hash.update(`${relative(root, path)}\0${stat.mode}\0`);
      if (stat.isDirectory()) for (const name of readdirSync(path).filter(include).sort()) walk(join(path, name));
      else hash.update(readFileSync(path));
    };
    walk(root);
  };
  add(dir, () => true);
  add(fileURLToPath(new URL('.', import.meta.url)), (name) => name !== 'test');
  return hash.digest('hex').slice(0, 24);
}

/** The time the packages' files carry: SOURCE_DATE_EPOCH, else the last commit's, else now. */
function sourceDate(): number {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return Number(epoch) * 1000;
  try {
    return (
      Number(
        execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
      ) * 1000
    );
  } catch {
    return Date.now();
  }
}
