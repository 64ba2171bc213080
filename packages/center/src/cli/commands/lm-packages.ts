import type { Command } from 'commander';
import type { CenterFlags } from '../../config.js';
import { LM_PRODUCT } from '../../services/packages/lm-product.js';
import { humanSize } from '../../services/packages/package-mail.js';
import { CliError, EXIT, withServices } from '../context.js';

/**
 * `tessera-center lm-packages publish <files...>` and `lm-packages list`: the License Manager's installation
 * packages, which every customer downloads from the portal (the bind wizard, a license's downloads).
 */
export function lmPackagesCommand(program: Command): void {
  const lm = program.command('lm-packages').description("the License Manager's installation packages, which every customer may download");
  lm.command('publish')
    .description(
      'publish the tessera-lm tarball and .deb that npm run package made: a new file is added, a changed one replaces the one of ' +
        'its version and platform, one published already is left as it is',
    )
    .argument('<files...>', 'tessera-lm-<version>-linux-x64.tar.gz and tessera-lm_<version>_amd64.deb files')
    .action(async (files: string[], _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<CenterFlags & { json?: boolean }>();
      const published = await withServices(globals, ({ lmPackages }) => lmPackages.publish(files, 'cli'));
      if (!published.ok) throw new CliError(published.detail, EXIT.FAILED);
      if (globals.json) {
        process.stdout.write(
          JSON.stringify(
            published.value.map(({ outcome, package: p }) => ({ outcome, ...p })),
            null,
            2,
          ) + '\n',
        );
        return;
      }
      for (const { outcome, package: p } of published.value) {
        process.stdout.write(`${outcome.padEnd(9)} ${p.filename}: ${LM_PRODUCT.name} ${p.version}, ${p.platform}, ${humanSize(p.size)}\n`);
        process.stdout.write(`          sha256 ${p.sha256}\n`);
      }
    });
  lm.command('list')
    .description("the License Manager's current packages, newest first")
    .action(async (_options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<CenterFlags & { json?: boolean }>();
      const current = await withServices(globals, async ({ packages }) => packages.forLm());
      if (globals.json) {
        process.stdout.write(JSON.stringify(current, null, 2) + '\n');
        return;
      }
      if (current.length === 0)
        process.stdout.write('No License Manager packages are published: tessera-center lm-packages publish <files>.\n');
      for (const p of current) process.stdout.write(`${p.id}  ${p.filename}  ${p.version}  ${p.platform}  sha256 ${p.sha256}\n`);
    });
}
