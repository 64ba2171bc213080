/**
 * The controller's HTTP API on node:http: the status page and JSON, enforcer registration and heartbeats,
 * remote clusters, and the two toy actions gated by features. Every refusal is `{ error: { code, message } }`.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { HOST_PATTERN, NODE_ID_PATTERN, PRODUCT, REMOTE_CLUSTERS_LIMIT } from '../index.js';
import type { LicenseView } from '../license-view.js';
import type { Clusters } from './clusters.js';
import type { Enforcers } from './enforcers.js';
import { GuardError, readJsonObject, sendError, sendJson, stringField } from './http-json.js';
import type { SeatCheck, VerifiedSeat } from './seat-check.js';
import { guardStatus } from './status.js';
import { renderStatusPage } from './status-page.js';

export interface ControllerParts {
  license: LicenseView;
  enforcers: Enforcers;
  clusters: Clusters;
  seatCheck: SeatCheck;
  /** How often enforcers are told to heartbeat. */
  heartbeatMs: number;
  log: (line: string) => void;
}

/** A seat's lease token as the SDK hands it out (LicenseState.seat.token): printable, no spaces. */
const SEAT_TOKEN = /^[\x21-\x7e]{1,8192}$/;
const CLUSTER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ACTIONS: Record<string, { feature: string; what: string }> = {
  scan: { feature: 'scan', what: 'Vulnerability scanning' },
  enforce: { feature: 'enforce', what: 'Policy enforcement (protect mode)' },
};

type Handler = (request: IncomingMessage, response: ServerResponse, param: string) => Promise<void>;
interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

export function createControllerServer(parts: ControllerParts): Server {
  const routes: Route[] = [
    { method: 'GET', pattern: /^\/$/, handler: async (_q, response) => sendPage(response, parts) },
    { method: 'GET', pattern: /^\/api\/status$/, handler: async (_q, response) => sendJson(response, 200, status(parts)) },
    { method: 'POST', pattern: /^\/api\/enforcers$/, handler: (request, response) => registerEnforcer(request, response, parts) },
    { method: 'POST', pattern: /^\/api\/enforcers\/([^/]+)\/heartbeat$/, handler: (q, r, id) => heartbeat(q, r, id, parts) },
    { method: 'DELETE', pattern: /^\/api\/enforcers\/([^/]+)$/, handler: (q, r, id) => leave(q, r, id, parts) },
    { method: 'POST', pattern: /^\/api\/clusters$/, handler: (request, response) => joinCluster(request, response, parts) },
    { method: 'DELETE', pattern: /^\/api\/clusters\/([^/]+)$/, handler: async (_q, r, name) => leaveCluster(r, name, parts) },
    { method: 'POST', pattern: /^\/api\/(scan|enforce)$/, handler: async (_q, r, action) => runAction(r, action, parts) },
  ];
  return createServer((request, response) => {
    void route(routes, request, response).catch((error: unknown) => {
      if (error instanceof GuardError) return sendError(response, error);
      parts.log(`guard controller: unexpected error on ${request.method} ${pathOf(request)}: ${(error as Error).message}`);
      sendError(response, new GuardError('INTERNAL', 500, 'An unexpected error happened in the controller; it was logged.'));
    });
  });
}

async function route(routes: Route[], request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = pathOf(request);
  const matching = routes.filter((r) => r.pattern.test(path));
  if (matching.length === 0) throw new GuardError('NOT_FOUND', 404, `There is no ${path} here; see GET /api/status.`);
  const chosen = matching.find((r) => r.method === request.method);
  if (!chosen) {
    response.setHeader('allow', matching.map((r) => r.method).join(', '));
    throw new GuardError('METHOD_NOT_ALLOWED', 405, `${request.method} is not allowed on ${path}.`);
  }
  let param = '';
  try {
    param = decodeURIComponent(chosen.pattern.exec(path)?.[1] ?? '');
  } catch {
    throw new GuardError('BAD_REQUEST', 400, `The path ${path} is not correctly percent-encoded.`);
  }
  await chosen.handler(request, response, param);
}

function pathOf(request: IncomingMessage): string {
  return (request.url ?? '/').split('?')[0]!;
}

function status(parts: ControllerParts) {
  return guardStatus(parts.license, parts.enforcers, parts.clusters);
}

function sendPage(response: ServerResponse, parts: ControllerParts): void {
  response.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  response.end(renderStatusPage(status(parts)));
}

/** The session secret an enforcer got at registration, sent as `authorization: Bearer <session>`. */
function sessionOf(request: IncomingMessage): string {
  const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
  if (!match)
    throw new GuardError('UNAUTHORIZED', 401, 'Send the session this enforcer got at registration as "authorization: Bearer <session>".');
  return match[1]!;
}

async function registerEnforcer(request: IncomingMessage, response: ServerResponse, parts: ControllerParts): Promise<void> {
  const body = await readJsonObject(request);
  const nodeId = stringField(body, 'nodeId', NODE_ID_PATTERN, 'a node id (letters, digits, . _ : -, up to 200)');
  const token = stringField(body, 'token', SEAT_TOKEN, "the seat's lease token the License Manager granted");
  const host = body.host === undefined ? null : stringField(body, 'host', HOST_PATTERN, 'a host name');
  refuseUnlicensed(parts);
  const seat = await parts.seatCheck.verify(token, nodeId);
  refuseUnlicensed(parts); // the license may have changed while the LM was asked
  const registered = parts.enforcers.register(nodeId, seat, host);
  if ('conflict' in registered) {
    throw new GuardError(
      'NODE_CONNECTED',
      409,
      `Enforcer "${nodeId}" is connected with another seat and heartbeating; stop the other process, or give this one its own --node-id.`,
    );
  }
  parts.log(`guard controller: enforcer ${nodeId} connected (${parts.enforcers.count} managed)`);
  sendJson(response, 201, { nodeId, session: registered.session, heartbeatMs: parts.heartbeatMs, managedNodes: parts.enforcers.count });
}

/** NeuVector's rule: with the license missing or invalid, no enforcer may connect. */
function refuseUnlicensed(parts: ControllerParts): void {
  const state = parts.license.status();
  if (!state.licensed) throw new GuardError(state.code, 403, `No enforcer may connect to this ${PRODUCT} controller: ${state.message}`);
}

/**
 * A heartbeat carries the enforcer's newest seat token: a token that verifies keeps its seat running, one that
 * does not (or names another seat) drops the enforcer. When the LM cannot be asked, the enforcer is kept until
 * its last verified token runs out, or while the license stands on its outage grace (Degraded) until the grace
 * ends: then a token that ran out for want of a renewal (SEAT_EXPIRED) is no reason to drop it either.
 */
async function heartbeat(request: IncomingMessage, response: ServerResponse, nodeId: string, parts: ControllerParts): Promise<void> {
  const session = sessionOf(request);
  const enforcer = parts.enforcers.find(nodeId, session);
  if (!enforcer) throw notRegistered(nodeId);
  const body = await readJsonObject(request);
  const token = stringField(body, 'token', SEAT_TOKEN, "the seat's newest lease token");
  let seat: VerifiedSeat;
  try {
    seat = await parts.seatCheck.verify(token, nodeId);
  } catch (error) {
    if (!(error instanceof GuardError)) throw error;
    const silent = error.code === 'LM_UNREACHABLE' || (error.code === 'SEAT_EXPIRED' && parts.license.status().status === 'Degraded');
    if (silent) {
      if (!parts.enforcers.seen(nodeId, session)) throw notRegistered(nodeId);
      sendJson(response, 200, { nodeId, managedNodes: parts.enforcers.count, verified: false });
      return;
    }
    parts.enforcers.dropSession(nodeId, session, `its seat token was refused [${error.code}]`);
    throw error;
  }
  if (seat.leaseId !== enforcer.leaseId) {
    parts.enforcers.dropSession(nodeId, session, 'it sent the token of another seat');
    throw new GuardError(
      'SEAT_MISMATCH',
      403,
      `This token is for another seat than the one enforcer "${nodeId}" registered with; register again.`,
    );
  }
  if (!parts.enforcers.heartbeat(nodeId, session, seat)) throw notRegistered(nodeId);
  sendJson(response, 200, { nodeId, managedNodes: parts.enforcers.count, verified: true });
}

async function leave(request: IncomingMessage, response: ServerResponse, nodeId: string, parts: ControllerParts): Promise<void> {
  if (!parts.enforcers.leave(nodeId, sessionOf(request))) throw notRegistered(nodeId);
  sendJson(response, 200, { left: true, managedNodes: parts.enforcers.count });
}

function notRegistered(nodeId: string): GuardError {
  return new GuardError(
    'NOT_REGISTERED',
    404,
    `Enforcer "${nodeId}" is not registered with this session (it was dropped or never registered); register again.`,
  );
}

async function joinCluster(request: IncomingMessage, response: ServerResponse, parts: ControllerParts): Promise<void> {
  const body = await readJsonObject(request);
  const name = stringField(body, 'name', CLUSTER_NAME, 'a cluster name (lower-case letters, digits and -, up to 63)');
  const { cluster, created } = parts.clusters.join(name);
  if (created) parts.log(`guard controller: joined remote cluster ${name}`);
  sendJson(response, created ? 201 : 200, {
    cluster,
    joined: parts.clusters.list().length,
    limit: parts.license.limit(REMOTE_CLUSTERS_LIMIT),
  });
}

function leaveCluster(response: ServerResponse, name: string, parts: ControllerParts): void {
  if (!parts.clusters.leave(name)) throw new GuardError('NOT_FOUND', 404, `No remote cluster named "${name}" is joined.`);
  parts.log(`guard controller: left remote cluster ${name}`);
  sendJson(response, 200, { left: true, joined: parts.clusters.list().length });
}

function runAction(response: ServerResponse, action: string, parts: ControllerParts): void {
  const { feature, what } = ACTIONS[action]!;
  if (!parts.license.isEnabled(feature)) {
    throw new GuardError(
      'FEATURE_NOT_LICENSED',
      403,
      `${what} needs the "${feature}" feature, which the license in force does not include; ask your vendor for a license with it.`,
    );
  }
  // A toy action: what a real product would do over its enforcers.
  sendJson(response, 200, { action, feature, done: true, nodes: parts.enforcers.list().map((e) => e.nodeId) });
}
