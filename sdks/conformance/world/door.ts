/**
 * A door: a stable address in front of a License Manager that stands for the network between a node and its LM.
 * It forwards by default; it can go down (drop every connection, as a dead host does), sign nothing but break
 * the signature of every lease token on the way (a forger), answer heartbeats with the last lease token it saw
 * (a replayer keeping a seat alive the LM let go), or answer GET /v1/license with the last answer it saw (a
 * recorded answer served again). It records the last lease token answer and the last license answer it forwarded.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const DOOR_MODES = ['forward', 'down', 'forgeTokens', 'replayHeartbeat', 'replayLicenseAnswer'] as const;
export type DoorMode = (typeof DOOR_MODES)[number];

export interface Door {
  url: string;
  mode: DoorMode;
  /** The base URL requests are forwarded to. */
  target: string;
  close(): Promise<void>;
}

interface Recorded {
  tokenAnswer: string | null;
  licenseAnswer: string | null;
}

export async function openDoor(target: string): Promise<Door> {
  const recorded: Recorded = { tokenAnswer: null, licenseAnswer: null };
  const server: Server = createServer((request, response) => void handle(door, recorded, request, response));
  server.keepAliveTimeout = 1; // a door going down is not hidden behind an idle kept-alive connection
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const door: Door = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mode: 'forward',
    target,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return door;
}

async function handle(door: Door, recorded: Recorded, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').replace(/\?.*/, '');
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (door.mode === 'down') {
    request.socket.destroy();
    return;
  }
  if (door.mode === 'replayHeartbeat' && path === '/v1/seats/heartbeat' && recorded.tokenAnswer) {
    response.writeHead(200, { 'content-type': 'application/json' }).end(recorded.tokenAnswer);
    return;
  }
  if (door.mode === 'replayLicenseAnswer' && path === '/v1/license' && recorded.licenseAnswer) {
    response.writeHead(200, { 'content-type': 'application/json' }).end(recorded.licenseAnswer);
    return;
  }
  let answer: { status: number; text: string };
  try {
    answer = await forward(door.target, request, Buffer.concat(chunks));
  } catch {
    request.socket.destroy(); // the LM behind is down: so is the door
    return;
  }
  let text = answer.text;
  const tokenPath = path === '/v1/seats/checkout' || path === '/v1/seats/heartbeat';
  if (answer.status === 200 && tokenPath) {
    if (door.mode === 'forgeTokens') text = forgeTokenIn(text);
    else recorded.tokenAnswer = text;
  }
  if (answer.status === 200 && path === '/v1/license') recorded.licenseAnswer = text;
  response.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
}

async function forward(target: string, request: IncomingMessage, body: Buffer): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  const secret = request.headers['x-tessera-seat-secret'];
  if (typeof secret === 'string') headers['x-tessera-seat-secret'] = secret;
  if (body.length > 0) headers['content-type'] = 'application/json';
  const response = await fetch(target + (request.url ?? '/'), {
    method: request.method ?? 'GET',
    headers,
    ...(body.length > 0 ? { body } : {}),
  });
  return { status: response.status, text: await response.text() };
}

/** The answer with its lease token's signature changed (same length): what a forger without the LM's key sends. */
function forgeTokenIn(text: string): string {
  const body = JSON.parse(text) as { token?: string };
  if (typeof body.token !== 'string') return text;
  const i = body.token.lastIndexOf('.') + 10;
  body.token = body.token.slice(0, i) + (body.token[i] === 'A' ? 'B' : 'A') + body.token.slice(i + 1);
  return JSON.stringify(body);
}
