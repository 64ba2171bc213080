/**
 * A real HTTP server between the SDK and a real License Manager, standing for the network: it can go down (it
 * drops every connection, as a dead host or a cut cable does), send a path to another LM, or alter an answer
 * (what a forged LM or a meddler on the LAN would do). It counts what it sees.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Proxy {
  url: string;
  /** true: every request is dropped without an answer. */
  down: boolean;
  /** Requests seen per path, answered or not. */
  seen: Record<string, number>;
  /** Where a path goes: the default LM unless this answers another base URL. */
  route: (path: string) => string | null;
  /** Changes an answer's JSON body before the SDK sees it. */
  rewrite: (path: string, body: any) => any;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<Proxy> {
  const proxy: Proxy = {
    url: '',
    down: false,
    seen: {},
    route: () => null,
    rewrite: (_path, body) => body,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? '/';
    proxy.seen[path] = (proxy.seen[path] ?? 0) + 1;
    if (proxy.down) {
      request.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void forward(proxy, target, request, Buffer.concat(chunks)).then(
        ({ status, text }) => {
          let body = text;
          try {
            body = JSON.stringify(proxy.rewrite(path, JSON.parse(text)));
          } catch {
            // not JSON: passed on as it is
          }
          response.writeHead(status, { 'content-type': 'application/json' }).end(body);
        },
        () => request.socket.destroy(),
      );
    });
  });
  server.keepAliveTimeout = 1; // so a proxy going down is not hidden behind an idle kept-alive connection
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = proxy.close;
  proxy.close = async () => {
    server.closeAllConnections();
    await close();
  };
  return proxy;
}

async function forward(proxy: Proxy, target: string, request: IncomingMessage, body: Buffer): Promise<{ status: number; text: string }> {
  const path = request.url ?? '/';
  const base = proxy.route(path) ?? target;
  const response = await fetch(base + path, {
    method: request.method ?? 'GET',
    headers: body.length > 0 ? { 'content-type': 'application/json' } : {},
    ...(body.length > 0 ? { body } : {}),
  });
  return { status: response.status, text: await response.text() };
}
