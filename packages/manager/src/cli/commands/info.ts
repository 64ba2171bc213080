import type { Command } from 'commander';
import type { InfoResponse } from '@tessera/core';
import { clientFor } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { formatInfo, printJson } from '../output.js';

export function infoCommand(program: Command): void {
  program
    .command('info')
    .description('show the LMID, license status, key, nodes, limits, features, expiry, mode and last sync')
    .action(async (_options: object, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const info = await clientFor(globals, false).get<InfoResponse>('/v1/info');
      if (globals.json) printJson(info);
      else process.stdout.write(formatInfo(info));
    });
}
