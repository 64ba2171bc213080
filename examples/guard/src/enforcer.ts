/**
 * `node enforcer.js --controller <url> --license_manager_url <host:port> --node-id <id> [--heartbeat-ms N]`: a
 * guard enforcer, built with the vendor's root compiled in (scripts/build-product.ts; see vendor-root.ts). It takes a seat of role `enforcer` at the License Manager before anything
 * else (no seat, no enforcer: exit 3), then registers with the controller and keeps both heartbeats going.
 */
import { hostname } from 'node:os';
import { connect, LicenseError } from '@tessera/sdk';
import { EXIT_USAGE, httpUrlFlag, intFlag, lmUrlsFlag, readFlags, UsageError } from './args.js';
import { EnforcerAgent } from './enforcer/agent.js';
import { ControllerClient } from './enforcer/controller-client.js';
import { ENFORCER_ROLE, HOST_PATTERN, NODE_ID_PATTERN, PRODUCT } from './index.js';
import { vendorRoots } from './vendor-root.js';

const USAGE = 'node enforcer.js --controller <url> --license_manager_url <host:port>[,host:port...] --node-id <id> [--heartbeat-ms N]';
const FLAGS = ['controller', 'license_manager_url', 'node-id', 'heartbeat-ms'];
/** Exit code when the License Manager gives this enforcer no seat. */
const EXIT_NO_SEAT = 3;

async function main(argv: string[]): Promise<void> {
  const flags = readFlags(argv, FLAGS, ['controller', 'license_manager_url', 'node-id'], USAGE);
  const controllerUrl = httpUrlFlag('controller', flags.controller!);
  const lmUrls = lmUrlsFlag(flags.license_manager_url!);
  const nodeId = flags['node-id']!;
  if (!NODE_ID_PATTERN.test(nodeId)) {
    throw new UsageError(
      `--node-id "${nodeId}" must be letters, digits, ".", "_", ":" or "-" (up to 200), starting with a letter or digit.`,
    );
  }
  const heartbeatMs = flags['heartbeat-ms'] === undefined ? undefined : intFlag('heartbeat-ms', flags['heartbeat-ms'], 0, 100, 600_000);
  const root = vendorRoots();
  // A stop asked for while the seat is being taken is honoured as soon as there is something to release.
  let stopAsked = false;
  const askStop = () => (stopAsked = true);
  process.once('SIGTERM', askStop);
  process.once('SIGINT', askStop);
  let connection;
  try {
    connection = await connect({
      url: lmUrls,
      product: PRODUCT,
      role: ENFORCER_ROLE,
      nodeId,
      root,
      ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
    });
  } catch (error) {
    if (error instanceof LicenseError && error.code !== 'BAD_OPTIONS') {
      process.stderr.write(`guard: enforcer ${nodeId} cannot connect: ${error.message} [${error.code}]\n`);
      process.exit(EXIT_NO_SEAT);
    }
    throw error;
  }
  const agent = new EnforcerAgent({
    nodeId,
    // Only for the status page: a host name the controller would refuse is not sent at all.
    host: HOST_PATTERN.test(hostname()) ? hostname() : null,
    connection,
    controller: new ControllerClient(controllerUrl, 5_000),
    retryMs: 1_000,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
  const shutdown = async () => {
    await agent.stop();
    await connection.close(); // releases the seat at once, so another enforcer can take it
    process.exit(0);
  };
  process.off('SIGTERM', askStop);
  process.off('SIGINT', askStop);
  if (stopAsked) return shutdown();
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
  await agent.start();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof LicenseError) {
    process.stderr.write(`guard: ${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
  process.stderr.write(`guard: the enforcer stopped on an unexpected error: ${(error as Error).message}\n`);
  process.exit(1);
});
