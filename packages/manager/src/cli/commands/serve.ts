import type { Command } from 'commander';
import { formatProblems, loadConfig } from '../../config.js';
import { startDaemon, StartupError } from '../../daemon.js';
import { CliError, EXIT } from '../errors.js';
import { DEFAULT_CONFIG } from '../context.js';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description(`run the License Manager daemon (configuration: --config, default ${DEFAULT_CONFIG})`)
    .action(async (_options: object, command: Command) => {
      // --config is the program's global option, so "tessera-lm serve --config F" and "tessera-lm --config F serve" agree.
      const file = command.optsWithGlobals<{ config?: string }>().config ?? DEFAULT_CONFIG;
      const loaded = loadConfig(file);
      if (!loaded.ok) throw new CliError(formatProblems(file, loaded.problems).trimEnd(), EXIT.CONFIG, 'BAD_REQUEST');
      let daemon;
      try {
        daemon = await startDaemon({ config: loaded.config });
      } catch (error) {
        if (error instanceof StartupError) throw new CliError(error.message, EXIT.CONFIG, 'BAD_REQUEST');
        throw error;
      }
      process.stderr.write(`tessera-lm serving on ${daemon.url} (LMID ${daemon.lmid})\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await daemon.close();
    });
}
