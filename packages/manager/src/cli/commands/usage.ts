import type { Command } from 'commander';
import type { UsageResponse } from '@tessera/core';
import { clientFor } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { formatUsage, printJson } from '../output.js';

export function usageCommand(program: Command): void {
  program
    .command('usage')
    .description('seats per role (total, used, free) and the list of leases')
    .action(async (_options: object, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const usage = await clientFor(globals, false).get<UsageResponse>('/v1/usage');
      if (globals.json) printJson(usage);
      else process.stdout.write(formatUsage(usage));
    });
}
