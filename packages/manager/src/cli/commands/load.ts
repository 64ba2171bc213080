import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { InfoResponse } from '@tessera/core';
import { clientFor } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { formatInfo, printJson } from '../output.js';

export function loadCommand(program: Command): void {
  program
    .command('load')
    .description(
      'load an online key, an offline key, a clock reset or a trust bundle from the vendor (pasted across lines or with spaces works)',
    )
    .option('-k, --key <key>', 'the key; "-" reads it from standard input')
    .option('-f, --key-file <file>', 'read the key from a file (for example the armored block from a mail)')
    .option(
      '--force',
      'load a license even if it is expired or not yet valid; never an older serial, an online license, or one that fails the signature, vendor key or LMID checks',
    )
    .action(async (options: { key?: string; keyFile?: string; force?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      if (options.key === '-' && globals.tokenFile === '-') {
        throw new CliError(
          'Standard input can carry the key or the admin token, not both: give one of them as a file.',
          EXIT.USAGE,
          'BAD_REQUEST',
        );
      }
      const key = readKey(options);
      const info = await clientFor(globals, true).post<InfoResponse>('/v1/admin/load', { key, force: options.force ?? false }, true);
      if (globals.json) printJson(info);
      else process.stdout.write(`Loaded.\n\n${formatInfo(info)}`);
      if (info.status === 'Syncing') process.exitCode = EXIT.REFUSED;
    });
}

function readKey(options: { key?: string; keyFile?: string }): string {
  if (options.key !== undefined && options.keyFile !== undefined)
    throw new CliError('Give the key with --key or --key-file, not both.', EXIT.USAGE, 'BAD_REQUEST');
  try {
    if (options.keyFile !== undefined) return readFileSync(options.keyFile, 'utf8');
    if (options.key === '-') return readFileSync(0, 'utf8');
  } catch (error) {
    throw new CliError(
      `Cannot read the key: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
      EXIT.USAGE,
      'BAD_REQUEST',
    );
  }
  if (options.key === undefined || options.key.trim() === '')
    throw new CliError(
      'Give the key: tessera-lm load --key <key> (or --key-file <file>, or --key - to paste it).',
      EXIT.USAGE,
      'BAD_REQUEST',
    );
  return options.key;
}
