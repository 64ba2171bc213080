/**
 * The world server's control API (sdks/conformance/README.md): a small JSON-over-HTTP service on loopback that a
 * scenario runner of any language drives. Steps run one at a time, in the order they arrive.
 *
 *   GET  /info   → { product, root, addresses }
 *   POST /step   { world: "startLm", ... } → 200 { ok: true, result, addresses } | 400 { ok: false, error }
 *   POST /reset  → 200 { ok: true }: every LM stopped, every door closed (between scenarios)
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PRODUCT, World, WorldError } from './world.js';

export interface WorldServer {
  url: string;
  world: World;
  close(): Promise<void>;
}

/** @param options.postgresUrl the admin URL of a PostgreSQL cluster for replicas; null: one is started if needed */
export async function startWorldServer(options: { postgresUrl?: string | null } = {}): Promise<WorldServer> {
  const world = new World(options.postgresUrl ?? null);
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  const server = createServer((request, response) => {
    void answer(request, response, world, serial);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    world,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await world.close();
    },
  };
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  world: World,
  serial: <T>(work: () => Promise<T>) => Promise<T>,
): Promise<void> {
  const send = (status: number, body: unknown) =>
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    if (request.method === 'GET' && request.url === '/info') {
      send(200, { product: PRODUCT, root: world.root, addresses: world.addresses() });
    } else if (request.method === 'POST' && request.url === '/reset') {
      await serial(() => world.reset());
      send(200, { ok: true });
    } else if (request.method === 'POST' && request.url === '/step') {
      const step = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as unknown;
      if (typeof step !== 'object' || step === null || Array.isArray(step)) throw new WorldError('A step is a JSON object.');
      const result = await serial(() => world.step(step as Record<string, unknown>));
      send(200, { ok: true, result, addresses: world.addresses() });
    } else {
      send(404, { ok: false, error: `No ${request.method} ${request.url}: the control API has GET /info, POST /step and POST /reset.` });
    }
  } catch (error) {
    const message = error instanceof WorldError || error instanceof SyntaxError ? error.message : String((error as Error).message ?? error);
    send(400, { ok: false, error: message });
  }
}
