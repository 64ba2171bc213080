/**
 * `node controller.js --license_manager_url <host:port> [--port N] [--host H] [--poll-ms N] [--heartbeat-ms N]`:
 * the guard controller, built with the vendor's root compiled in (scripts/build-product.ts; see vendor-root.ts). It watches the license (no seat: the controller is not
 * a licensed node) and reacts to every change without a restart.
 */
import { LicenseError, watch } from '@tessera/sdk';
import { EXIT_USAGE, intFlag, lmUrlsFlag, readFlags, UsageError } from './args.js';
import { startController } from './controller/app.js';
import { PRODUCT } from './index.js';
import { vendorRoots } from './vendor-root.js';

const USAGE = 'node controller.js --license_manager_url <host:port>[,host:port...] [--port N] [--host H] [--poll-ms N] [--heartbeat-ms N]';
const FLAGS = ['license_manager_url', 'port', 'host', 'poll-ms', 'heartbeat-ms'];

async function main(argv: string[]): Promise<void> {
  const flags = readFlags(argv, FLAGS, ['license_manager_url'], USAGE);
  const lmUrls = lmUrlsFlag(flags.license_manager_url!);
  const port = intFlag('port', flags.port, 10443, 0, 65535);
  const pollMs = intFlag('poll-ms', flags['poll-ms'], 10_000, 100, 3_600_000);
  const heartbeatMs = intFlag('heartbeat-ms', flags['heartbeat-ms'], 5_000, 100, 600_000);
  const root = vendorRoots();
  const license = await watch({ url: lmUrls, product: PRODUCT, pollMs, root });
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let controller;
  try {
    controller = await startController({
      license,
      lmUrls,
      root,
      host: flags.host ?? '127.0.0.1',
      port,
      timeoutMs: 5_000,
      heartbeatMs,
      log,
    });
  } catch (error) {
    await license.close();
    throw new UsageError(
      `the controller cannot listen on ${flags.host ?? '127.0.0.1'}:${port} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pick another --port.`,
    );
  }
  log(`guard controller ready on ${controller.url} (license ${license.status().status})`);
  const shutdown = async () => {
    await controller.close();
    await license.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error instanceof LicenseError && error.code === 'BAD_OPTIONS')) {
    process.stderr.write(`guard: ${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
  process.stderr.write(`guard: the controller stopped on an unexpected error: ${(error as Error).message}\n`);
  process.exit(1);
});
