import { NAME } from '@tessera/core';
import type { RequestCodeResponse } from '@tessera/core';
import type { Command } from 'commander';
import { clientFor } from '../context.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { printJson } from '../output.js';

export function requestCodeCommand(program: Command): void {
  program
    .command('request-code')
    .description('make a request code to send to the vendor for an offline key')
    .requiredOption('--name <name>', 'contact name')
    .requiredOption('--email <email>', 'contact email')
    .option('--phone <phone>', 'contact phone', '')
    .requiredOption('--nodes <list>', 'nodes per role, e.g. query=3,storage=5')
    .option('--limit <list>', 'limits, e.g. remote_clusters=2')
    .option('--feature <list>', 'features, e.g. scan,enforce')
    .option('--months <n>', 'months asked for', '12')
    .option('--product <name>', 'the product, when known')
    .action(
      async (
        options: {
          name: string;
          email: string;
          phone: string;
          nodes: string;
          limit?: string;
          feature?: string;
          months: string;
          product?: string;
        },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals<GlobalOptions>();
        const months = Number(options.months);
        if (!Number.isInteger(months) || months < 1 || months > 120)
          throw new CliError(`--months must be a whole number from 1 to 120 (got "${options.months}").`, EXIT.USAGE, 'BAD_REQUEST');
        const body = {
          name: options.name,
          email: options.email,
          phone: options.phone,
          nodes: parseCounts(options.nodes, '--nodes'),
          limits: options.limit ? parseCounts(options.limit, '--limit') : {},
          features: options.feature
            ? options.feature
                .split(',')
                .map((f) => f.trim())
                .filter(Boolean)
            : [],
          months,
          ...(options.product ? { product: options.product } : {}),
        };
        const answer = await clientFor(globals, true).post<RequestCodeResponse>('/v1/admin/request-code', body, true);
        if (globals.json) printJson(answer);
        else process.stdout.write(`Request code for LMID ${answer.lmid}; send it to your vendor:\n\n${answer.requestCode}\n`);
      },
    );
}

/** "query=3,storage=5" → { query: 3, storage: 5 }, with a message naming the bad part. */
export function parseCounts(list: string, flag: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const part of list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([^=\s]+)=(\d{1,7})$/.exec(part);
    if (!match || !NAME.test(match[1]!))
      throw new CliError(`${flag}: "${part}" is not name=number (for example query=3).`, EXIT.USAGE, 'BAD_REQUEST');
    counts[match[1]!] = Number(match[2]);
  }
  if (Object.keys(counts).length === 0) throw new CliError(`${flag} needs at least one name=number.`, EXIT.USAGE, 'BAD_REQUEST');
  return counts;
}
