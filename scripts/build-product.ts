/**
 * Builds a reference product (examples/graphdb, examples/guard) the way a vendor ships one: each program bundled
 * into one file with esbuild, the vendor's root public key compiled in (`__TESSERA_VENDOR_ROOTS__`). The product
 * then trusts licenses vouched for by that root only, and no flag, file or environment variable on the customer's
 * machine can replace it (DESIGN decision 8). A new root means a new build.
 *
 *   npx tsx scripts/build-product.ts --root "tessera-root:…" [--root …] [--out DIR] graphdb|guard ...
 *
 * (tessera-center trust-root prints the root.) Without --out each product goes to examples/<product>/dist/bundle/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { parseTrustRoots } from '@tessera/core';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** Each product's programs: the entry points that become dist files of the same name. */
export const PRODUCTS = {
  graphdb: ['main'],
  guard: ['controller', 'enforcer'],
} as const;

export type ProductName = keyof typeof PRODUCTS;

/**
 * Bundles `product` with `roots` compiled in; answers the path of each program (`{ main: '/…/main.js' }`).
 * Throws on a root that is not a `tessera-root:…` text, so nothing is built with a damaged root.
 */
export async function buildProduct(product: ProductName, roots: readonly string[], outDir: string): Promise<Record<string, string>> {
  const parsed = parseTrustRoots(roots);
  if (!parsed.ok) throw new Error(`cannot build ${product}: ${parsed.detail}`);
  mkdirSync(outDir, { recursive: true });
  const programs = PRODUCTS[product];
  await build({
    entryPoints: Object.fromEntries(programs.map((name) => [name, join(REPO, 'examples', product, 'src', `${name}.ts`)])),
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The workspace packages from their sources, as the tests use them: the build never takes a stale dist.
    conditions: ['@tessera/source'],
    define: { __TESSERA_VENDOR_ROOTS__: JSON.stringify(roots.map((root) => root.trim())) },
    logLevel: 'warning',
  });
  return Object.fromEntries(programs.map((name) => [name, join(outDir, `${name}.js`)]));
}

async function main(argv: string[]): Promise<void> {
  const usage = 'usage: npx tsx scripts/build-product.ts --root "tessera-root:…" [--root …] [--out DIR] graphdb|guard ...';
  const { values, positionals } = parseArgs({
    args: argv,
    options: { root: { type: 'string', multiple: true }, out: { type: 'string' } },
    allowPositionals: true,
  });
  const roots = values.root ?? [];
  const products = positionals.length > 0 ? positionals : Object.keys(PRODUCTS);
  if (roots.length === 0) throw new Error(`--root is required: the vendor's root key, as tessera-center trust-root prints it. ${usage}`);
  for (const product of products) {
    if (!(product in PRODUCTS))
      throw new Error(`unknown product "${product}"; the products are ${Object.keys(PRODUCTS).join(', ')}. ${usage}`);
    const outDir = values.out ? join(values.out, product) : join(REPO, 'examples', product, 'dist', 'bundle');
    const built = await buildProduct(product as ProductName, roots, outDir);
    for (const path of Object.values(built)) process.stdout.write(`${path}\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`build-product: ${(error as Error).message}\n`);
    process.exit(2);
  });
}
