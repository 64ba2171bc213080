/**
 * npm run package [-- --out DIR] [--only tessera-lm|tessera-center]: the linux-x64 tarballs and .debs of the License
 * Manager and the License Center (build.ts), listed with their sizes and SHA-256 at the end. `npm start` then
 * publishes the License Manager's to the License Center it starts.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildPackages, DEFAULT_OUT, REPO } from './build.js';
import { PROGRAMS } from './programs.js';
import type { ProgramName } from './programs.js';

const usage = 'usage: npm run package -- [--out DIR] [--only tessera-lm|tessera-center ...]';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, only: { type: 'string', multiple: true } } });
  const only = values.only ?? [];
  const unknown = only.filter((name) => !(name in PROGRAMS));
  if (unknown.length) throw new Error(`unknown program ${unknown.join(', ')}; ${usage}`);
  const result = await buildPackages({
    outDir: values.out ?? DEFAULT_OUT,
    ...(only.length ? { programs: only as ProgramName[] } : {}),
  });
  process.stdout.write(`Built in ${result.seconds.toFixed(1)} s (Node.js ${result.runtime.version} inside):\n`);
  for (const artefact of result.artefacts) {
    const mib = (artefact.size / 1024 / 1024).toFixed(1);
    process.stdout.write(`  ${relative(REPO, artefact.file).padEnd(48)} ${mib.padStart(6)} MiB  sha256 ${artefact.sha256}\n`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`package: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
