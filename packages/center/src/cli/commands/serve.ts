import type { Command } from 'commander';
import { loadCenterConfig } from '../../config.js';
import type { CenterFlags } from '../../config.js';
import { startCenter } from '../../app.js';
import { CliError, EXIT } from '../context.js';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the License Center (HTTP API); migrates the database first')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8080')
    .action(async (options: { host: string; port: string }, command: Command) => {
      const globals = command.optsWithGlobals<CenterFlags>();
      const loaded = loadCenterConfig({ ...globals, host: options.host, port: options.port });
      if (!loaded.ok)
        throw new CliError(`The configuration has problems:\n${loaded.problems.map((p) => `  ${p}`).join('\n')}`, EXIT.CONFIG);
      let center;
      try {
        center = await startCenter(loaded.config);
      } catch (error) {
        throw new CliError(`Cannot start: ${(error as Error).message}`, EXIT.CONFIG);
      }
      process.stderr.write(`tessera-center serving on ${center.url} (${center.services.dialect})\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await center.close();
    });
}
