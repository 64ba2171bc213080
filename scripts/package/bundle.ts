/**
 * A program bundled into one ES module with esbuild, from the workspace's sources (as the tests run them), for
 * the shipped runtime. The native addons are not bundled: the loaders that look for them in node_modules
 * (better-sqlite3's `bindings`, @node-rs/argon2's platform switch) are replaced by a require of the file beside
 * the bundle, so the package needs no node_modules.
 */
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';

/** How a package that loads a native addon is answered instead: the addon's file name next to the bundle. */
const NATIVE_LOADERS: Record<string, string> = {
  // better-sqlite3: require('bindings')('better_sqlite3.node'); a function of the file name.
  bindings: 'module.exports = (name) => __nativeRequire("./" + name);',
  // @node-rs/argon2's index.js picks the binary for the platform; the package is built for linux-x64 with glibc.
  '@node-rs/argon2': 'module.exports = __nativeRequire("./argon2.linux-x64-gnu.node");',
};

const nativeLoaders: Plugin = {
  name: 'tessera-native-loaders',
  setup(builder) {
    const filter = new RegExp(
      `^(${Object.keys(NATIVE_LOADERS)
        .map((name) => name.replace(/[/@]/g, '\\$&'))
        .join('|')})$`,
    );
    builder.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'tessera-native' }));
    builder.onLoad({ filter: /.*/, namespace: 'tessera-native' }, (args) => ({ contents: NATIVE_LOADERS[args.path]!, loader: 'js' }));
  },
};

/**
 * CommonJS dependencies call require(); an ES module has none, so the bundle makes one, relative to its own file
 * (where the addons are).
 */
const BANNER = [
  "import { createRequire as __tesseraCreateRequire } from 'node:module';",
  'const require = __tesseraCreateRequire(import.meta.url);',
  'const __nativeRequire = require;',
].join('\n');

/** Bundles `entry` (a workspace source file) into `outfile`; answers the bundle's size in bytes. */
export async function bundleProgram(entry: string, outfile: string): Promise<number> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    conditions: ['@tessera/source'],
    // pg loads pg-native only when asked to (never here); AWS's CRT is optional too.
    external: ['pg-native', 'aws-crt'],
    plugins: [nativeLoaders],
    banner: { js: BANNER },
    // The licenses of bundled dependencies stay in the file, at its end.
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });
  const output = Object.values(result.metafile.outputs)[0];
  return output?.bytes ?? 0;
}
