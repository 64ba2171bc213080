import type { Command } from 'commander';
import { formatProblems, loadConfig } from '../../config.js';
import type { LmConfig } from '../../config.js';
import { importDataPath } from '../../ha/import.js';
import { StartupError } from '../../open-state.js';
import { CliError, EXIT } from '../errors.js';
import { DEFAULT_CONFIG } from '../context.js';
import { printJson } from '../output.js';

/**
 * `tessera-lm ha-import --from OLD --config NEW`: moves a stopped single License Manager's data path into the
 * replicas' database, keeping its LMID (ha/import.ts). Run on the host the License Manager ran on.
 */
export function haImportCommand(program: Command): void {
  program
    .command('ha-import')
    .description("move a stopped single License Manager (--from its config) into the replicas' database (--config), keeping its LMID")
    .requiredOption('--from <file>', "the single License Manager's config (its dataPath and fingerprint)")
    .action(async (options: { from: string }, command: Command) => {
      const globals = command.optsWithGlobals<{ config?: string; json?: boolean }>();
      const from = readConfig(options.from);
      const to = readConfig(globals.config ?? DEFAULT_CONFIG);
      await refuseIfServing(from);
      let outcome;
      try {
        outcome = await importDataPath(from, to, Date.now());
      } catch (error) {
        if (error instanceof StartupError) throw new CliError(error.message, EXIT.CONFIG, error.code);
        throw new CliError(`The database cannot be used: ${(error as Error).message}`, EXIT.CONFIG, 'BAD_REQUEST');
      }
      if (!outcome.ok) throw new CliError(outcome.detail, EXIT.REFUSED, outcome.code);
      const moved = outcome.value;
      if (globals.json) printJson(moved);
      else
        process.stdout.write(
          `Moved License Manager ${moved.lmid} (license ${moved.licenseId ?? 'none'}, ${moved.leases} live leases) from ${from.dataPath} into ${moved.location}.\n` +
            `Start the replicas with ${globals.config ?? DEFAULT_CONFIG}; they show the same LMID. ${from.dataPath} is marked as moved and does not start again.\n`,
        );
    });
}

function readConfig(file: string): LmConfig {
  const loaded = loadConfig(file);
  if (!loaded.ok) throw new CliError(formatProblems(file, loaded.problems).trimEnd(), EXIT.CONFIG, 'BAD_REQUEST');
  return loaded.config;
}

/** A License Manager still serving from the data path would go on as a second one with the same LMID. */
async function refuseIfServing(config: LmConfig): Promise<void> {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const scheme = config.tls ? 'https' : 'http';
  const answered = await fetch(`${scheme}://${host}:${config.port}/health`, { signal: AbortSignal.timeout(2000) }).then(
    () => true,
    () => false,
  );
  if (answered) {
    throw new CliError(
      `A License Manager answers at ${host}:${config.port}: stop it first (systemctl stop tessera-lm), then move its data path.`,
      EXIT.REFUSED,
      'BAD_REQUEST',
    );
  }
}
