#!/usr/bin/env node
/**
 * graphdb node program: `node main.js --role query|storage --node-id <id> --license_manager_url host:port[,host:port] ...`, built
 * with the vendor's root compiled in (scripts/build-product.ts; see vendor-root.ts).
 * Exit codes: 0 stopped by SIGTERM/SIGINT, 1 could not listen or an unexpected failure, 2 bad flags, 3 refused
 * by the license (no seat).
 */
import { readFileSync } from 'node:fs';
import { connect, LicenseError } from '@tessera/sdk';
import type { Connection } from '@tessera/sdk';
import { parseFlags, USAGE } from './flags.js';
import type { NodeFlags } from './flags.js';
import { LicenseGate } from './license-gate.js';
import { createGraphdbNode, PRODUCT } from './node.js';
import { vendorRoots } from './vendor-root.js';

/** How long a stopping node waits for the License Manager to take its seat back before it exits anyway. */
const RELEASE_WAIT_MS = 10_000;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function exit(code: number, line: string, stream: NodeJS.WriteStream): void {
  stream.write(`${line}\n`, () => process.exit(code));
}

function listen(flags: NodeFlags, server: ReturnType<typeof createGraphdbNode>['server']): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(flags.port, flags.localIp, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : flags.port);
    });
  });
}

async function main(): Promise<void> {
  const parsed = parseFlags(process.argv.slice(2), (path) => readFileSync(path, 'utf8'));
  if (!parsed.ok) return exit(2, `graphdb: ${parsed.message}\n${USAGE}`, process.stderr);
  const flags = parsed.flags;
  let roots: readonly string[];
  try {
    roots = vendorRoots();
  } catch (error) {
    return exit(1, `graphdb: ${(error as Error).message}`, process.stderr);
  }
  const label = `graphdb ${flags.role} node ${flags.nodeId}`;
  const node = createGraphdbNode(flags, log);

  let port: number;
  try {
    port = await listen(flags, node.server);
  } catch (error) {
    return exit(
      1,
      `graphdb: ${flags.role} node ${flags.nodeId} cannot listen on ${flags.localIp}:${flags.port}: ${(error as Error).message}`,
      process.stderr,
    );
  }

  // A signal during connect() waits for it, so a seat granted at that moment is still released.
  let stopping = false;
  let connection: Promise<Connection | null> = Promise.resolve(null);
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const held = await connection.catch(() => null);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, RELEASE_WAIT_MS).unref());
    await Promise.race([
      held?.close().catch((error: unknown) => log(`${label} could not release its seat: ${(error as Error).message}`)),
      timeout,
    ]);
    node.server.close();
    node.server.closeAllConnections();
    exit(0, `${label} stopped`, process.stdout);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());

  // Through then(), so a synchronous throw of connect() is handled like its refusals.
  connection = Promise.resolve().then(() =>
    connect({
      url: flags.licenseManagerUrls,
      product: PRODUCT,
      role: flags.role,
      nodeId: flags.nodeId,
      root: roots,
      ...(flags.heartbeatMs !== null ? { heartbeatMs: flags.heartbeatMs } : {}),
    }),
  );
  let held: Connection;
  try {
    held = (await connection)!;
  } catch (error) {
    node.server.close();
    if (stopping) return; // stop() says "stopped" and exits
    if (error instanceof LicenseError && error.code === 'BAD_OPTIONS') return exit(2, `graphdb: ${error.message}`, process.stderr);
    if (error instanceof LicenseError) {
      return exit(3, `graphdb: ${flags.role} node ${flags.nodeId} cannot start: ${error.message} [${error.code}]`, process.stderr);
    }
    return exit(1, `graphdb: ${flags.role} node ${flags.nodeId} cannot start: ${(error as Error).message}`, process.stderr);
  }
  if (stopping) return;
  node.attach(new LicenseGate(held, label, log));
  const state = held.status();
  process.stdout.write(
    `${label} ready on http://${flags.localIp}:${port} (license ${state.status}, ${flags.role} seats ${state.nodes[flags.role] ?? 0})\n`,
  );
}

main().catch((error: unknown) => exit(1, `graphdb: unexpected failure: ${(error as Error)?.message ?? String(error)}`, process.stderr));
