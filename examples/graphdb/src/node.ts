/** One graphdb node's HTTP face: GET /status on every node, plus the data routes of its role. */
import type { Server } from 'node:http';
import type { NodeFlags } from './flags.js';
import { createNodeServer } from './http.js';
import type { Refusal, Route } from './http.js';
import { describeLicense } from './license-gate.js';
import type { LicenseGate } from './license-gate.js';
import { queryRoutes } from './query.js';
import { KvStore, storageRoutes } from './storage.js';

export const PRODUCT = 'graphdb';

/** Until the seat is taken nothing is served; the node prints its ready line only after that. */
const STARTING: Refusal = { code: 'STARTING', message: 'The node is still taking its license seat; try again in a moment.' };

export interface GraphdbNode {
  server: Server;
  /** Set once connect() has given the node its seat. */
  attach(gate: LicenseGate): void;
}

export function createGraphdbNode(flags: NodeFlags, log: (line: string) => void): GraphdbNode {
  let gate: LicenseGate | null = null;
  const store = new KvStore();
  const status: Route = {
    method: 'GET',
    path: /^\/status$/,
    needsLicense: false,
    run() {
      const state = gate?.state() ?? null;
      return {
        status: 200,
        body: {
          product: PRODUCT,
          role: flags.role,
          nodeId: flags.nodeId,
          serving: state?.licensed ?? false,
          license: state ? describeLicense(state) : null,
          // Only the lease id and expiry: the seat's signed token is the node's proof of its seat, not for show.
          seat: state?.seat ? { leaseId: state.seat.leaseId, expiresAt: state.seat.expiresAt } : null,
          ...(flags.role === 'storage' ? { storage: { keys: store.size } } : { query: { storageAddrs: flags.storageAddrs } }),
        },
      };
    },
  };
  const data = flags.role === 'storage' ? storageRoutes(store) : queryRoutes(flags.storageAddrs);
  const server = createNodeServer(
    [status, ...data],
    { refusal: () => (gate ? gate.refusal() : STARTING), headers: () => gate?.headers() ?? {} },
    log,
  );
  return {
    server,
    attach(next) {
      gate = next;
    },
  };
}
