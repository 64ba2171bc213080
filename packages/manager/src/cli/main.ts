#!/usr/bin/env node
/**
 * tessera-lm: the License Manager daemon (serve) and the CLI that talks to it. Every failure ends here as one
 * line on stderr (or a JSON error with --json) and a documented exit code; never a stack trace.
 */
import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT } from './errors.js';
import { serveCommand } from './commands/serve.js';
import { infoCommand } from './commands/info.js';
import { loadCommand } from './commands/load.js';
import { syncCommand } from './commands/sync.js';
import { usageCommand } from './commands/usage.js';
import { requestCodeCommand } from './commands/request-code.js';
import { haImportCommand } from './commands/ha-import.js';
import { printJson } from './output.js';
import { LM_VERSION } from '../version.js';

const program = new Command('tessera-lm')
  .description('Tessera License Manager')
  .option('--addr <host:port>', 'the License Manager to talk to (default: from --config, else 127.0.0.1:9119)')
  .option('-c, --config <file>', 'configuration file, to find the address and the admin token')
  .option('--data-path <dir>', 'the data path holding admin.token')
  .option('--token-file <file>', 'read the admin token from this file, or "-" for standard input (default: admin.token in the data path)')
  // Gone: a token in the arguments is visible to every user in ps. Kept hidden only to say what replaces it.
  .addOption(new Option('--token <token>').hideHelp())
  .option('--json', 'machine-readable output')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

serveCommand(program);
infoCommand(program);
loadCommand(program);
syncCommand(program);
usageCommand(program);
requestCodeCommand(program);
haImportCommand(program);
program
  .command('version')
  .description('print the version')
  .action((_options: object, command: Command) => {
    if (command.optsWithGlobals<{ json?: boolean }>().json) printJson({ version: LM_VERSION });
    else process.stdout.write(`tessera-lm ${LM_VERSION}\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}

function report(error: unknown): number {
  const json = process.argv.includes('--json');
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help text).
    return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (error instanceof CliError) {
    if (json) printJson({ error: { code: error.code, message: error.message } });
    else process.stderr.write(`tessera-lm: ${error.message}\n`);
    return error.exitCode;
  }
  process.stderr.write(`tessera-lm: unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
  return EXIT.INTERNAL;
}
