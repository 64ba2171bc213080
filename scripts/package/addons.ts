/**
 * The native parts of the packages, for the shipped runtime. better-sqlite3 is compiled from its sources with
 * node-gyp against the runtime's own headers (include/node), offline: its prebuilt binaries come from GitHub,
 * which a build must not need. The build happens in a copy of the package, never in node_modules, so tests
 * running on the machine's Node meanwhile keep their addon. @node-rs/argon2 is N-API and prebuilt per platform in
 * an npm package of its own: it loads on any Node and is copied as it is.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import type { Runtime } from './runtime.js';

/** A compiled file the bundle loads, and the name it has next to the bundle. */
export interface NativeFile {
  source: string;
  name: string;
}

export interface AddonOptions {
  repo: string;
  cacheDir: string;
  runtime: Runtime;
  log(line: string): void;
}

/** better_sqlite3.node for the runtime: from the cache, or compiled once (a minute or two: SQLite itself). */
export function betterSqlite3(options: AddonOptions): NativeFile {
  const { repo, cacheDir, runtime, log } = options;
  const packageDir = packageDirOf(repo, 'packages/manager', 'better-sqlite3');
  const version = versionOf(packageDir);
  const built = join(cacheDir, 'addons', `better-sqlite3-${version}-node-abi${runtime.abi}-linux-x64`, 'better_sqlite3.node');
  if (existsSync(built) && loadError(runtime, built) === null) return { source: built, name: 'better_sqlite3.node' };

  const tools = ['make', 'g++', 'python3'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
  );
  if (tools.length) throw new Error(`compiling better-sqlite3 for the packaged runtime needs ${tools.join(', ')} (node-gyp's toolchain)`);
  const scratch = mkdtempSync(join(cacheDir, '.addon-'));
  try {
    const copy = join(scratch, 'better-sqlite3');
    // The sources only: a build/ made for the machine's Node would be taken as up to date by make.
    cpSync(packageDir, copy, { recursive: true, filter: (path) => !relative(packageDir, path).startsWith('build') });
    log(`compiling better-sqlite3 ${version} for Node ${runtime.version} (ABI ${runtime.abi}) from source, offline`);
    const started = Date.now();
    const compiled = spawnSync(runtime.node, [nodeGyp(), 'rebuild', '--release', `--nodedir=${runtime.dir}`, '--jobs=max'], {
      cwd: copy,
      // Its gyp actions run `node`: the runtime's, like everything else here. npm's settings for the machine's Node
      // (npm_config_nodedir, _target, ...) must not steer this build.
      env: { ...withoutNpmConfig(process.env), PATH: `${join(runtime.dir, 'bin')}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    if (compiled.status !== 0) {
      throw new Error(
        `node-gyp could not build better-sqlite3 (exit ${compiled.status}):\n${`${compiled.stdout}\n${compiled.stderr}`.slice(-4000)}`,
      );
    }
    const output = join(copy, 'build', 'Release', 'better_sqlite3.node');
    const error = loadError(runtime, output);
    if (error !== null) throw new Error(`better_sqlite3.node built for Node ${runtime.version} does not load on it: ${error}`);
    mkdirSync(dirname(built), { recursive: true });
    renameSync(output, built);
    log(`better-sqlite3 compiled in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { source: built, name: 'better_sqlite3.node' };
}

/** @node-rs/argon2's prebuilt N-API binary for linux-x64 with glibc, from its npm package. */
export function argon2(options: AddonOptions): NativeFile {
  const dir = packageDirOf(options.repo, 'packages/center', '@node-rs/argon2-linux-x64-gnu');
  const source = join(dir, 'argon2.linux-x64-gnu.node');
  const error = loadError(options.runtime, source);
  if (error !== null) throw new Error(`${source} does not load on Node ${options.runtime.version}: ${error}`);
  return { source, name: 'argon2.linux-x64-gnu.node' };
}

/** Why `file` does not load as an addon on the runtime (a wrong ABI, a missing library), or null when it loads. */
export function loadError(runtime: Runtime, file: string): string | null {
  const run = spawnSync(runtime.node, ['-e', 'process.dlopen({ exports: {} }, process.argv[1])', file], { encoding: 'utf8' });
  return run.status === 0 ? null : (run.stderr.split('\n').find((line) => /Error/.test(line)) ?? `exit ${run.status}`).trim();
}

/** The environment without npm's settings (npm run passes them on as npm_config_*), which node-gyp would obey. */
function withoutNpmConfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^npm_config_/i.test(name)));
}

/** node-gyp as npm ships it: npm runs it for every addon it builds, so it is where npm is. */
function nodeGyp(): string {
  const candidates: string[] = [];
  if (process.env.npm_execpath)
    candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    const globalRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    candidates.push(join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  } catch {
    // No npm on PATH: only npm_execpath can tell.
  }
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`node-gyp was not found next to npm (looked at ${candidates.join(', ') || 'nothing: npm is not on PATH'})`);
  return found;
}

/** The folder of `name` as the workspace `from` resolves it. */
function packageDirOf(repo: string, from: string, name: string): string {
  return dirname(createRequire(join(repo, from, 'package.json')).resolve(`${name}/package.json`));
}

function versionOf(packageDir: string): string {
  return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}
