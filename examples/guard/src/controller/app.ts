/**
 * The controller put together: the enforcer list, remote clusters, the seat check, the HTTP server, and the
 * reactions to the license (a change event drops every enforcer the moment the license stops being usable; a
 * periodic sweep drops silent enforcers and those whose last verified seat token ran out, unless the License
 * Manager is silent and the license's outage grace runs: then connected enforcers stay until it ends).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REMOTE_CLUSTERS_LIMIT } from '../index.js';
import type { LicenseState, LicenseView } from '../license-view.js';
import { Clusters } from './clusters.js';
import { Enforcers } from './enforcers.js';
import { SeatCheck } from './seat-check.js';
import { createControllerServer } from './server.js';

export interface ControllerOptions {
  license: LicenseView;
  /** The License Manager's base URL (http://host:port), or its replicas', asked about enforcer seats. */
  lmUrls: readonly string[];
  /** The vendor's root key(s): enforcers' seat tokens are checked against the license verified up to it. */
  root: readonly string[];
  host: string;
  port: number;
  timeoutMs: number;
  /** How often enforcers heartbeat; one silent for three of these is dropped. */
  heartbeatMs: number;
  log: (line: string) => void;
}

export interface RunningController {
  readonly url: string;
  close(): Promise<void>;
}

export async function startController(options: ControllerOptions): Promise<RunningController> {
  const { license, log } = options;
  const enforcers = new Enforcers({
    now: Date.now,
    staleMs: options.heartbeatMs * 3,
    graceUntil: () => graceUntil(license.status()),
    onDrop: (enforcer, reason) => log(`guard controller: enforcer ${enforcer.nodeId} dropped: ${reason} (${enforcers.count} managed)`),
  });
  const clusters = new Clusters(() => license.limit(REMOTE_CLUSTERS_LIMIT), Date.now);
  const seatCheck = new SeatCheck({ lmUrls: options.lmUrls, root: options.root, timeoutMs: options.timeoutMs, now: Date.now });

  const onChange = (state: LicenseState, previous: LicenseState) => {
    log(`guard controller: license ${previous.status} [${previous.code}] -> ${state.status} [${state.code}]: ${state.message}`);
    if (!state.licensed) enforcers.dropAll(`the license is ${state.status} [${state.code}]`);
  };
  license.on('change', onChange);

  const sweep = () => {
    const state = license.status();
    if (!state.licensed) enforcers.dropAll(`the license is ${state.status} [${state.code}]`);
    enforcers.dropLapsed();
  };
  const timer = setInterval(sweep, options.heartbeatMs);

  const server = createControllerServer({ license, enforcers, clusters, seatCheck, heartbeatMs: options.heartbeatMs, log });
  try {
    await listen(server, options.host, options.port);
  } catch (error) {
    clearInterval(timer);
    license.off('change', onChange);
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${displayHost(options.host)}:${port}`,
    async close() {
      clearInterval(timer);
      license.off('change', onChange);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * While the License Manager is silent and the license stands on its outage grace (Degraded), until when: the seats
 * of enforcers verified before the silence count until then, though their tokens run out and cannot be renewed.
 */
export function graceUntil(state: LicenseState): number | null {
  return state.status === 'Degraded' && state.outage ? Date.parse(state.outage.graceEndsAt) : null;
}

/** A wildcard address is reachable on loopback; that is the address worth printing. */
function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
