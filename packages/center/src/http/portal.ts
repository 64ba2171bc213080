/**
 * The portal (apps/portal, a single-page app) served by LC itself, so customers reach it at the same origin as the
 * API and the session cookie never crosses sites. The built folder is read once at start: hashed files under
 * /assets/ are cached for a year, and every other GET that is not an API path answers index.html (no-cache), so
 * deep links and the mailed link paths (/setup, /activate, /reset, /login-link) open the app, which reads the
 * token from the URL fragment. None of these routes is part of the API description.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The page loads only its own files; nothing inline, nothing from elsewhere, never framed. */
export const PORTAL_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const SECURITY_HEADERS = {
  'content-security-policy': PORTAL_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** apps/portal/dist of the repository, from packages/center/{src,dist}/http/. */
const DEFAULT_DIR = fileURLToPath(new URL('../../../../apps/portal/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt']);

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

interface PortalFile {
  body: Buffer;
  /** The body gzipped, when that is smaller. */
  gzip: Buffer | null;
  type: string;
  etag: string;
}

export interface PortalBundle {
  dir: string;
  /** null: the folder has no index.html (the portal was not built). */
  index: PortalFile | null;
  /** By URL path: /assets/... and the other files at the top of the folder. */
  files: Map<string, PortalFile>;
}

/** Reads the built portal into memory; a missing folder gives a bundle without index. */
export function loadPortal(dir: string | null): PortalBundle {
  const root = dir ?? DEFAULT_DIR;
  const files = new Map<string, PortalFile>();
  if (!existsSync(join(root, 'index.html'))) return { dir: root, index: null, files };
  const walk = (folder: string, prefix: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
      else files.set(`${prefix}${name}`, fileOf(readFileSync(path), extname(name).toLowerCase()));
    }
  };
  walk(root, '/');
  const index = files.get('/index.html')!;
  files.delete('/index.html');
  return { dir: root, index, files };
}

function fileOf(body: Buffer, extension: string): PortalFile {
  const zipped = COMPRESSIBLE.has(extension) ? gzipSync(body, { level: 9 }) : null;
  return {
    body,
    gzip: zipped && zipped.length < body.length ? zipped : null,
    type: CONTENT_TYPES[extension] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

/** API paths keep the API's JSON 404; everything else is the app's to route. */
export function isApiPath(path: string): boolean {
  return (
    path === '/v1' ||
    path.startsWith('/v1/') ||
    path === '/health' ||
    path === '/metrics' ||
    path.startsWith('/metrics/') ||
    path === '/openapi.json' ||
    path === '/docs' ||
    path.startsWith('/docs/') ||
    path.startsWith('/downloads/')
  );
}

export function portalRoutes(app: FastifyInstance, bundle: PortalBundle, log: FastifyBaseLogger): void {
  if (bundle.index) log.info({ dir: bundle.dir, files: bundle.files.size + 1 }, 'serving the portal');
  else log.warn({ dir: bundle.dir }, 'the portal is not built: run "npm run build"; the API works without it');
  const hide = { schema: { hide: true } };

  app.get('/assets/*', hide, async (request, reply) => {
    const file = bundle.files.get(pathOf(request));
    if (!file) return reply.callNotFound();
    return send(request, reply, file, IMMUTABLE);
  });

  app.get('/*', hide, async (request, reply) => {
    const path = pathOf(request);
    if (isApiPath(path)) return reply.callNotFound();
    const file = bundle.files.get(path);
    if (file) return send(request, reply, file, REVALIDATE);
    if (!bundle.index)
      return reply
        .status(503)
        .headers(SECURITY_HEADERS)
        .header('cache-control', REVALIDATE)
        .type('text/html; charset=utf-8')
        .send(NOT_BUILT);
    return send(request, reply, bundle.index, REVALIDATE);
  });
}

function pathOf(request: FastifyRequest): string {
  return request.url.split(/[?#]/)[0]!;
}

function send(request: FastifyRequest, reply: FastifyReply, file: PortalFile, cache: string) {
  reply
    .headers(SECURITY_HEADERS)
    .header('cache-control', cache)
    .header('etag', file.etag)
    .header('vary', 'accept-encoding')
    .type(file.type);
  if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
  const accepts = String(request.headers['accept-encoding'] ?? '');
  if (file.gzip && /\bgzip\b/.test(accepts)) return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(file.body);
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera License Center</title></head>
<body><h1>Tessera License Center</h1>
<p>The web portal is not built. Run <code>npm run build</code> in the repository (or <code>npm install</code>, which builds it), then restart the License Center.</p>
<p>The API works without it: its reference is at <a href="/docs">/docs</a>.</p>
</body></html>
`;
