import type { Command } from 'commander';
import { CliError, EXIT, withServices } from '../context.js';
import type { CenterFlags } from '../../config.js';

export function auditCommand(program: Command): void {
  const audit = program.command('audit').description('the append-only, keyed hash-chained audit log');
  audit
    .command('verify')
    .description('check the whole chain with the master key; names the first broken link')
    .action(async (_options: object, command: Command) => {
      const result = await withServices(command.optsWithGlobals<CenterFlags>(), ({ audit }) => audit.verify());
      if (!result.ok)
        throw new CliError(
          `The audit chain is broken at event ${result.brokenAt} (${result.events} intact before it): ${result.reason}`,
          EXIT.FAILED,
        );
      process.stdout.write(`The audit chain is intact: ${result.events} event${result.events === 1 ? '' : 's'}.\n`);
    });
}
