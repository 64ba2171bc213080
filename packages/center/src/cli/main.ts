#!/usr/bin/env node
/**
 * tessera-center: the License Center's command line. Every failure ends here as one line (or a few, for a list
 * of configuration problems) and an exit code; never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './context.js';
import { migrateCommand } from './commands/migrate.js';
import { keysCommand, trustBundleCommand, trustRootCommand } from './commands/keys.js';
import { auditCommand } from './commands/audit.js';
import { serveCommand } from './commands/serve.js';
import { staffCommand } from './commands/staff.js';
import { openApiCommand } from './commands/openapi.js';
import { lmPackagesCommand } from './commands/lm-packages.js';
import { mailCommand } from './commands/mail.js';

const program = new Command('tessera-center')
  .description('Tessera License Center')
  .option('--data <dir>', 'data directory: the SQLite database, the master key file, the mail outbox', './data')
  .option('--json', 'machine-readable output where a command has it')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

serveCommand(program);
migrateCommand(program);
keysCommand(program);
trustBundleCommand(program);
trustRootCommand(program);
auditCommand(program);
staffCommand(program);
openApiCommand(program);
lmPackagesCommand(program);
mailCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  } else if (error instanceof CliError) {
    process.stderr.write(`tessera-center: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`tessera-center: unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = EXIT.INTERNAL;
  }
}
