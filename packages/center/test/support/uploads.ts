/**
 * Package uploads over plain node:http, as a script or curl sends them: the raw file as the body, written in
 * chunks (chunked transfer, or with a Content-Length), so the server's streaming and its refusals are exercised.
 */
import { once } from 'node:events';
import { request } from 'node:http';
import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import type { Client } from './http.js';

export const MiB = 1024 * 1024;

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

export interface PackageQuery {
  product: string;
  version: string;
  platform: string;
  filename: string;
}

/** The caller's credentials (bearer token, or session cookie and CSRF token) as headers. */
function credentials(client: Client | null): Record<string, string> {
  if (!client) return {};
  if (client.bearer) return { authorization: `Bearer ${client.bearer}` };
  return {
    ...(client.cookie ? { cookie: `tessera_session=${client.cookie}` } : {}),
    ...(client.csrf ? { 'x-csrf-token': client.csrf } : {}),
  };
}

/** Opens POST /v1/staff/packages?…; the caller writes the body. */
export function openUpload(
  base: string,
  client: Client | null,
  query: Partial<PackageQuery>,
  options: { contentLength?: number; contentType?: string } = {},
): { request: ClientRequest; answer: Promise<RawAnswer> } {
  const url = new URL(`/v1/staff/packages?${new URLSearchParams(query as Record<string, string>)}`, base);
  const req = request(url, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/octet-stream',
      ...(options.contentLength !== undefined ? { 'content-length': String(options.contentLength) } : {}),
      ...credentials(client),
    },
  });
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
      });
    });
  });
  return { request: req, answer };
}

/**
 * Uploads `bytes` in 64 KiB chunks: chunked transfer by default (the size is known only at the end), or with a
 * Content-Length when `declare` is set.
 */
export async function upload(
  base: string,
  client: Client | null,
  query: Partial<PackageQuery>,
  bytes: Buffer,
  options: { declare?: boolean; contentType?: string } = {},
): Promise<RawAnswer> {
  const { request: req, answer } = openUpload(base, client, query, {
    ...(options.declare ? { contentLength: bytes.length } : {}),
    ...(options.contentType ? { contentType: options.contentType } : {}),
  });
  // An answer before the whole body is sent (a refusal) ends the sending, as curl does.
  let answered = false;
  void answer.then(
    () => (answered = true),
    () => (answered = true),
  );
  for (let at = 0; at < bytes.length && !answered; at += 64 * 1024) {
    if (!req.write(bytes.subarray(at, at + 64 * 1024))) await Promise.race([once(req, 'drain'), answer]);
  }
  if (answered) {
    const early = await answer;
    req.destroy();
    return early;
  }
  req.end();
  return answer;
}
