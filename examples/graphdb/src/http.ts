/** The nodes' HTTP plumbing: routes, one error type, one handler that writes `{ "error": { code, message, requestId } }`. */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** A refusal with a stable SCREAMING_SNAKE code and a sentence a person can act on. */
export class GraphdbError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface JsonAnswer {
  status: number;
  body: unknown;
}

export interface Route {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Matched against the path (no query string); capture groups are passed to run(). */
  path: RegExp;
  /** Data routes answer 503 while the node holds no license seat; /status never does. */
  needsLicense: boolean;
  run(params: string[], body: Buffer, request: IncomingMessage): Promise<JsonAnswer> | JsonAnswer;
}

export interface Refusal {
  code: string;
  message: string;
}

export const MAX_BODY_BYTES = 1024 * 1024;

function send(response: ServerResponse, answer: JsonAnswer, headers: Record<string, string>): void {
  const text = JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new GraphdbError('BODY_TOO_LARGE', 413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

async function answer(routes: readonly Route[], licenseRefusal: () => Refusal | null, request: IncomingMessage): Promise<JsonAnswer> {
  const path = new URL(request.url ?? '/', 'http://node').pathname;
  const matching = routes.filter((route) => route.path.test(path));
  if (matching.length === 0) throw new GraphdbError('NOT_FOUND', 404, `There is nothing at ${path}.`);
  const route = matching.find((r) => r.method === request.method);
  if (!route) {
    const allowed = matching.map((r) => r.method).join(', ');
    throw new GraphdbError('METHOD_NOT_ALLOWED', 405, `${request.method} is not allowed on ${path}; use ${allowed}.`);
  }
  if (route.needsLicense) {
    const refusal = licenseRefusal();
    if (refusal) throw new GraphdbError(refusal.code, 503, refusal.message);
  }
  const body = await readBody(request);
  return route.run(route.path.exec(path)!.slice(1), body, request);
}

/**
 * An HTTP server over the routes; every answer carries the license's headers (X-License-Status, ...). Unexpected
 * failures answer 500 INTERNAL with a request id, and the detail goes to the log under the same id (never to the
 * caller).
 */
export function createNodeServer(
  routes: readonly Route[],
  license: { refusal: () => Refusal | null; headers: () => Record<string, string> },
  log: (line: string) => void,
): Server {
  return createServer((request, response) => {
    answer(routes, license.refusal, request).then(
      (result) => send(response, result, license.headers()),
      (error: unknown) => {
        const requestId = `req_${randomBytes(6).toString('hex')}`;
        if (error instanceof GraphdbError) {
          const body = { error: { code: error.code, message: error.message, requestId } };
          send(response, { status: error.status, body }, license.headers());
          return;
        }
        log(`unexpected error in ${request.method} ${request.url} (${requestId}): ${(error as Error)?.message ?? String(error)}`);
        send(
          response,
          { status: 500, body: { error: { code: 'INTERNAL', message: `An unexpected error; it was logged as ${requestId}.`, requestId } } },
          license.headers(),
        );
      },
    );
  });
}

/** Decodes a `:key` path segment; a malformed escape is the caller's mistake, not a crash. */
export function decodeKey(segment: string): string {
  let key: string;
  try {
    key = decodeURIComponent(segment);
  } catch {
    throw new GraphdbError('BAD_KEY', 400, 'The key in the path is not valid percent-encoding.');
  }
  if (key === '') throw new GraphdbError('BAD_KEY', 400, 'The key cannot be empty.');
  return key;
}
