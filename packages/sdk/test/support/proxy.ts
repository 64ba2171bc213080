/**
 * A real HTTP server between the SDK and a real License Manager, standing for the network: it can go down (it
 * drops every connection, as a dead host or a cut cable does), send a path to another LM, or alter an answer
 * (what a forged LM or a meddler on the LAN would do), answer a path itself without asking the LM (a proxy that
 * forwards checkouts but makes up heartbeat answers, a gateway's 429, or a recorded answer replayed), or
 * answer with raw bytes of its own (an endless body), or hold a request back for a while. Paths are without their
 * query (`/v1/license`, whatever its nonce). It counts what it sees and what it has answered.
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
  /** Answers seen per path (after any delay), forwarded or made up. */
  answered: Record<string, number>;
  /** Changes an answer's JSON body before the SDK sees it. */
  rewrite: (path: string, body: any) => any;
  /** An answer made up here for a request (its JSON body), or null to forward it to the LM. */
  answer: (path: string, body: any) => { status: number; body: unknown } | null;
  /** How long to hold a request back before handling it, in ms. */
  delay: (path: string) => number;
  /** Writes the whole answer to a request itself (raw bytes, headers and all), or null to go on as above. */
  raw: (path: string) => ((response: ServerResponse) => void) | null;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<Proxy> {
  const proxy: Proxy = {
    url: '',
    down: false,
    seen: {},
    answered: {},
    route: () => null,
    rewrite: (_path, body) => body,
    answer: () => null,
    delay: () => 0,
    raw: () => null,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').replace(/\?.*/, '');
    proxy.seen[path] = (proxy.seen[path] ?? 0) + 1;
    if (proxy.down) {
      request.socket.destroy();
      return;
    }
    const raw = proxy.raw(path);
    if (raw) {
      request.resume();
      raw(response);
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received = Buffer.concat(chunks);
      void new Promise((resolve) => setTimeout(resolve, proxy.delay(path)))
        .then(() => madeUp(proxy, path, received) ?? forward(proxy, target, request, received))
        .then(
          ({ status, text }) => {
            proxy.answered[path] = (proxy.answered[path] ?? 0) + 1;
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

function madeUp(proxy: Proxy, path: string, received: Buffer): { status: number; text: string } | null {
  let body: unknown = null;
  try {
    body = JSON.parse(received.toString('utf8'));
  } catch {
    // no JSON body (a GET)
  }
  const answer = proxy.answer(path, body);
  return answer ? { status: answer.status, text: JSON.stringify(answer.body) } : null;
}

async function forward(proxy: Proxy, target: string, request: IncomingMessage, body: Buffer): Promise<{ status: number; text: string }> {
  const url = request.url ?? '/';
  const base = proxy.route(url.replace(/\?.*/, '')) ?? target;
  const secret = request.headers['x-tessera-seat-secret'];
  const headers: Record<string, string> = typeof secret === 'string' ? { 'x-tessera-seat-secret': secret } : {};
  if (body.length > 0) headers['content-type'] = 'application/json';
  const response = await fetch(base + url, {
    method: request.method ?? 'GET',
    headers,
    ...(body.length > 0 ? { body } : {}),
  });
  return { status: response.status, text: await response.text() };
}
