import type { Command } from 'commander';
import { openContext } from '../context.js';
import type { CenterFlags } from '../../config.js';

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date (serve also does this on start)')
    .action(async (_options: object, command: Command) => {
      const { handle, migrated } = await openContext(command.optsWithGlobals<CenterFlags>());
      process.stdout.write(
        migrated.length ? `Applied: ${migrated.join(', ')} (${handle.location})\n` : `The schema is up to date (${handle.location}).\n`,
      );
      await handle.close();
    });
}
