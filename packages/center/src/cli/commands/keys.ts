import type { Command } from 'commander';
import { systemClock } from '../../clock.js';
import { AuditLog } from '../../services/audit.js';
import { SigningKeys } from '../../services/signing-keys.js';
import type { SigningKeyInfo } from '../../services/signing-keys.js';
import { openContext } from '../context.js';
import type { CenterFlags } from '../../config.js';

async function withKeys<T>(command: Command, work: (keys: SigningKeys, audit: AuditLog) => Promise<T>): Promise<T> {
  const { config, handle } = await openContext(command.optsWithGlobals<CenterFlags>());
  try {
    const keys = new SigningKeys({ db: handle.db, masterKey: config.masterKey, clock: systemClock });
    await keys.ensureActive();
    return await work(keys, new AuditLog({ db: handle.db, dialect: handle.dialect, clock: systemClock, masterKey: config.masterKey }));
  } finally {
    await handle.close();
  }
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
      const list = await withKeys(command, (k) => k.list());
      process.stdout.write(json ? JSON.stringify(list, null, 2) + '\n' : list.map(row).join('\n') + '\n');
    });
  keys
    .command('rotate')
    .description('make a new active key; the old one is retired (what it signed stays valid). Give LMs the new trust bundle.')
    .action(async (_options: object, command: Command) => {
      const key = await withKeys(command, async (k, audit) => {
        const created = await k.rotate();
        // The same event as POST /v1/staff/keys/rotate; the actor is whoever holds the server's shell.
        await audit.append({ actor: 'cli', action: 'signing_key.rotated', subject: created.kid, data: { kid: created.kid } });
        return created;
      });
      process.stdout.write(
        `New active key ${key.kid}. Hand License Managers the new trust bundle (tessera-center trust-bundle) before anything is signed with it reaches them.\n`,
      );
    });
}

export function trustBundleCommand(program: Command): void {
  program
    .command('trust-bundle')
    .description('print the public trust bundle License Managers are configured with')
    .action(async (_options: object, command: Command) => {
      process.stdout.write(await withKeys(command, (k) => k.trustBundle()));
    });
}
