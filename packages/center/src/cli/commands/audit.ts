import type { Command } from 'commander';
import { systemClock } from '../../clock.js';
import { AuditLog } from '../../services/audit.js';
import { CliError, EXIT, openContext } from '../context.js';
import type { CenterFlags } from '../../config.js';

export function auditCommand(program: Command): void {
  const audit = program.command('audit').description('the append-only, hash-chained audit log');
  audit
    .command('verify')
    .description('check the whole chain; names the first broken link')
    .action(async (_options: object, command: Command) => {
      const { handle } = await openContext(command.optsWithGlobals<CenterFlags>());
      try {
        const result = await new AuditLog({ db: handle.db, dialect: handle.dialect, clock: systemClock }).verify();
        if (!result.ok)
          throw new CliError(`The audit chain is broken at event ${result.brokenAt} (of ${result.events}): ${result.reason}`, EXIT.FAILED);
        process.stdout.write(`The audit chain is intact: ${result.events} event${result.events === 1 ? '' : 's'}.\n`);
      } finally {
        await handle.close();
      }
    });
}
