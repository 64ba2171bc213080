import type { Command } from 'commander';
import type { SyncResponse } from '@tessera/core';
import { clientFor } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { formatInfo, printJson } from '../output.js';

export function syncCommand(program: Command): void {
  program
    .command('sync')
    .description('pull the license from the License Center now (online keys)')
    .action(async (_options: object, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const answer = await clientFor(globals, true).post<SyncResponse>('/v1/admin/sync', {}, true);
      if (globals.json) printJson(answer);
      else
        process.stdout.write(
          `${answer.changed ? 'Synced: a new license arrived.' : 'Synced: the license is current.'}\n\n${formatInfo(answer.info)}`,
        );
    });
}
