import type { Command } from 'commander';
import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { CenterServices } from '../../compose.js';
import type { SigningKeyInfo } from '../../services/trust/signing-keys.js';
import type { RootKeyInfo } from '../../services/trust/trust-roots.js';
import { CliError, EXIT, withServices } from '../context.js';
import type { CenterFlags } from '../../config.js';

/** The services, with an active signing key made on first use. */
function withKeys<T>(command: Command, work: (services: CenterServices) => Promise<T>): Promise<T> {
  return withServices(command.optsWithGlobals<CenterFlags>(), async (services) => {
    await services.keys.ensureActive();
    return work(services);
  });
}

/** The services, with an active root made on first use: the signing keys, the roots and the bundle they make. */
function withTrust<T>(command: Command, work: (services: CenterServices) => Promise<T>): Promise<T> {
  return withServices(command.optsWithGlobals<CenterFlags>(), async (services) => {
    await services.roots.ensureActive();
    return work(services);
  });
}

/** A root change's audit event, in its transaction; the actor is whoever holds the server's shell. */
async function audited(services: CenterServices, trx: Transaction<Database>, action: string, root: RootKeyInfo): Promise<void> {
  await services.audit.append({ actor: 'cli', action, subject: root.kid, data: { kid: root.kid, root: root.root } }, trx);
}

function row(key: SigningKeyInfo): string {
  const retired = key.retiredAt ? `  retired ${new Date(key.retiredAt).toISOString()}` : '';
  return `${key.kid}  ${key.state.padEnd(7)}  created ${new Date(key.createdAt).toISOString()}${retired}`;
}

export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('vendor signing keys');
  keys
    .command('list')
    .description('list the signing keys (the first start makes one)')
    .action(async (_options: object, command: Command) => {
      const json = command.optsWithGlobals<{ json?: boolean }>().json;
      const list = await withKeys(command, ({ keys }) => keys.list());
      process.stdout.write(json ? JSON.stringify(list, null, 2) + '\n' : list.map(row).join('\n') + '\n');
    });
  keys
    .command('rotate')
    .description('make a new active key; the old one is retired (what it signed stays valid). Give LMs the new trust bundle.')
    .action(async (_options: object, command: Command) => {
      // As POST /v1/staff/keys/rotate does; the actor is whoever holds the server's shell.
      const key = await withKeys(command, ({ keyChanges }) => keyChanges.rotate('cli'));
      process.stdout.write(
        `New active key ${key.kid}. Hand License Managers the new trust bundle (tessera-center trust-bundle) before anything is signed with it reaches them.\n`,
      );
    });
}

export function trustBundleCommand(program: Command): void {
  program
    .command('trust-bundle')
    .description("print the trust file License Managers are configured with (the vendor's roots and the root-signed bundle)")
    .option('--format <format>', 'v2, or v1: the plain bundle that License Managers of releases before trust roots read', 'v2')
    .action(async (options: { format: string }, command: Command) => {
      if (options.format !== 'v1' && options.format !== 'v2')
        throw new CliError(`--format must be v1 or v2, not "${options.format}".`, EXIT.USAGE);
      const legacy = options.format === 'v1';
      process.stdout.write(await withTrust(command, (t) => (legacy ? t.keys.trustBundle() : t.trustBundles.file())));
    });
}

/** The root as a vendor pastes it into source: a TypeScript constant, and the plain text for other languages. */
function rootForSource(roots: RootKeyInfo[]): string {
  const texts = roots.map((r) => r.root);
  const constant =
    texts.length === 1
      ? `export const TESSERA_ROOT = '${texts[0]}';`
      : `export const TESSERA_ROOT = [\n${texts.map((t) => `  '${t}',`).join('\n')}\n];`;
  const lines = roots.map((r) => `  ${r.root}   (${r.kid}, ${r.state})`).join('\n');
  return `The vendor's root public key${roots.length > 1 ? 's' : ''}: build ${roots.length > 1 ? 'them' : 'it'} into every product (the SDK's root option).

TypeScript (e.g. src/tessera-root.ts):
${constant}

Plain text, for other languages:
${lines}
`;
}

export function trustRootCommand(program: Command): void {
  const root = program
    .command('trust-root')
    .description("print the vendor's root public key to build into products (see the subcommands for a root rotation)")
    .action(async (_options: object, command: Command) => {
      const json = command.optsWithGlobals<{ json?: boolean }>().json;
      const roots = await withTrust(command, (t) => t.roots.published());
      process.stdout.write(json ? JSON.stringify(roots, null, 2) + '\n' : rootForSource(roots));
    });
  root
    .command('list')
    .description('every root key: active, next (made for a rotation) and retired')
    .action(async (_options: object, command: Command) => {
      const roots = await withTrust(command, (t) => t.roots.list());
      process.stdout.write(JSON.stringify(roots, null, 2) + '\n');
    });
  root
    .command('next')
    .description('rotation step 1: make the next root, published beside the active one; build products with both')
    .action(async (_options: object, command: Command) => {
      const next = await withTrust(command, (t) => t.roots.createNext((trx, made) => audited(t, trx, 'root_key.created', made)));
      process.stdout.write(
        `Next root ${next.kid}: ${next.root}\nBuild products with both roots (tessera-center trust-root prints them); once installed products carry it, run: tessera-center trust-root activate ${next.kid}\n`,
      );
    });
  root
    .command('activate <kid>')
    .description('rotation step 2: the next root signs trust bundles from now on; the active one is retired')
    .action(async (kid: string, _options: object, command: Command) => {
      const activated = await withTrust(command, (t) => t.roots.activate(kid, (trx, root) => audited(t, trx, 'root_key.activated', root)));
      if (!activated.ok) throw new CliError(activated.detail, EXIT.USAGE);
      process.stdout.write(
        `Root ${activated.value.kid} now signs trust bundles. Products built only with the old root refuse them: keep the old root in builds until none is installed.\n`,
      );
    });
}
