/**
 * The API's description, made from the routes' own schemas (the ones Fastify validates with), so it cannot drift
 * from what is served: OpenAPI 3.1 at /openapi.json and a reference page at /docs. The page is plain HTML rendered
 * here, with no scripts and nothing fetched from elsewhere, so it works on a machine without internet.
 */
import swagger from '@fastify/swagger';
import { escapeHtml as esc } from '@tessera/core';
import { ref, SHARED_SCHEMAS } from './schemas.js';
import type { FastifyInstance } from 'fastify';

const SECURITY_SCHEMES = {
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: 'tessera_session',
    description: 'From POST /v1/auth/login. Writes also need the x-csrf-token header holding the csrfToken of login or /v1/auth/me.',
  },
  apiToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'A staff API token (tsk_…) from POST /v1/auth/tokens or `tessera-center staff create --api-token`.',
  },
} as const;

const HIDDEN = new Set(['/openapi.json', '/docs']);

export interface RouteEntry {
  method: string;
  url: string;
  schema: Record<string, unknown> | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered (HEAD twins left out), so a test can hold each one to having a schema. */
    routeTable: RouteEntry[];
  }
}

/**
 * Each operation's id, made from its method and path so that every route has one and none repeats:
 * POST /v1/staff/licenses/:licenseId/renew is postStaffLicensesByLicenseIdRenew.
 */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((part) => part !== '' && part !== 'v1')
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[-_]/))
    .filter((word) => word !== '');
  return method.toLowerCase() + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

export async function installOpenApi(app: FastifyInstance, options: { version: string; publicUrl: string }): Promise<void> {
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') table.push({ method, url: route.url, schema: route.schema as Record<string, unknown> | undefined });
    }
  });
  // The shapes routes answer with, by name: components of the document, $ref: 'Name#' in a route.
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(swagger, {
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera License Center API',
        version: options.version,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        description:
          'Every error answers { error: { code, message, requestId } } with a stable code. A resource of another customer answers 404, as one that does not exist.',
      },
      servers: [{ url: options.publicUrl, description: 'This License Center (TESSERA_PUBLIC_URL).' }],
      components: { securitySchemes: SECURITY_SCHEMES as never },
    },
    transform: ({ schema, url, route }) => {
      const given = (schema ?? {}) as Record<string, unknown>;
      if (HIDDEN.has(url)) return { schema: { ...given, hide: true } as never, url };
      // Download links carry their own signature, the marketplace's calls a token or an SNS signature: no session.
      const open =
        url === '/health' ||
        url === '/metrics' ||
        url === '/v1/trust-bundle' ||
        url.startsWith('/v1/lm/') ||
        url.startsWith('/downloads/') ||
        url.startsWith('/v1/marketplace/') ||
        isPublicAuth(url);
      return {
        schema: {
          operationId: operationIdOf([route.method].flat()[0]!, url),
          ...given,
          ...(open ? { security: [] } : { security: [{ session: [] }, { apiToken: [] }] }),
          response: {
            // A route may name its error answers for Fastify's serializer ('4xx'); the document names them once.
            ...Object.fromEntries(Object.entries((given.response as object) ?? {}).filter(([code]) => !/^[45]xx$/.test(code))),
            '4XX': { description: 'An error', ...ref('ErrorBody') },
            '5XX': { description: 'An error', ...ref('ErrorBody') },
          },
        } as never,
        url,
      };
    },
  });
}

/** Adds GET /openapi.json and GET /docs; call after every other route is registered. */
export function openApiRoutes(app: FastifyInstance): void {
  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return app.swagger();
  });
  app.get('/docs', { schema: { hide: true } }, async (_request, reply) => {
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .header('cache-control', 'no-cache');
    return renderReference(app.swagger() as unknown as OpenApiDocument);
  });
}

function isPublicAuth(url: string): boolean {
  return /^\/v1\/auth\/(register|activate|login|login-link|logout|reset-request|reset)$/.test(url);
}

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
}

interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** The reference page: operations grouped by tag, each with its parameters and body schema. */
export function renderReference(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(method, path, op)]);
    }
  }
  const sections = [...byTag].map(([tag, ops]) => `<section><h2 id="${esc(tag)}">${esc(tag)}</h2>${ops.join('')}</section>`).join('');
  const nav = [...byTag.keys()].map((tag) => `<a href="#${esc(tag)}">${esc(tag)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:0 auto;padding:1rem;color:#1b1f24}
h1{font-size:1.5rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.25rem;margin-top:2rem}
article{border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin:.75rem 0}
h3{font-size:1rem;margin:.25rem 0;font-family:ui-monospace,monospace;word-break:break-all}
.m{display:inline-block;min-width:4.5em;font-weight:700}.get{color:#0550ae}.post{color:#116329}.put,.patch{color:#953800}.delete{color:#cf222e}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;font-size:13px}table{border-collapse:collapse}td,th{padding:.15rem .5rem;text-align:left;vertical-align:top}
.open{color:#57606a;font-size:.85rem}
</style></head><body>
<h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description ?? '')}</p>
<p>The machine-readable description is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<nav>${nav}</nav>
${sections}
</body></html>`;
}

function operationHtml(method: string, path: string, op: Operation): string {
  const params = (op.parameters ?? [])
    .map(
      (p) =>
        `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}${p.required ? ', required' : ''}</td><td><code>${esc(brief(p.schema))}</code></td><td>${esc(p.description ?? '')}</td></tr>`,
    )
    .join('');
  const bodySchema = op.requestBody?.content?.['application/json']?.schema;
  const open = op.security && op.security.length === 0 ? '<span class="open">no login needed</span>' : '';
  return `<article><h3><span class="m ${method}">${method.toUpperCase()}</span> ${esc(path)}</h3>
${op.summary ? `<p>${esc(op.summary)} ${open}</p>` : open}${op.description ? `<p>${esc(op.description)}</p>` : ''}
${params ? `<table><tr><th>parameter</th><th>in</th><th>schema</th><th></th></tr>${params}</table>` : ''}
${bodySchema ? `<p>Body:</p><pre>${esc(JSON.stringify(bodySchema, null, 2))}</pre>` : ''}</article>`;
}

function brief(schema: unknown): string {
  const s = schema as { type?: string; pattern?: string; minimum?: number; maximum?: number } | undefined;
  if (!s) return '';
  return [s.type, s.pattern && `/${s.pattern}/`, s.minimum !== undefined && `${s.minimum}…${s.maximum ?? ''}`].filter(Boolean).join(' ');
}
