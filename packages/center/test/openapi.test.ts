/**
 * The API description: /openapi.json is a valid OpenAPI 3.1 document naming every route the server has, each
 * with a schema, a tag and a summary; /docs is a self-contained page listing them all.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCenter } from './support/http.js';
import type { TestCenter } from './support/http.js';

/** Routes outside the API description (schema.hide): the description itself, and the portal's files and pages. */
const HIDDEN = ['GET /openapi.json', 'GET /docs', 'GET /assets/*', 'GET /*'];
const described = (route: { schema?: Record<string, unknown> | undefined }) => route.schema?.hide !== true;
/** A schema, or the component a $ref in it names. */
const resolve = (schema: any, doc: any = current) =>
  schema?.$ref ? doc.components.schemas[String(schema.$ref).replace('#/components/schemas/', '')] : schema;
let current: any;
/** Fastify's /:param to OpenAPI's /{param}. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

describe('the API description', () => {
  let tc: TestCenter;
  let doc: any;

  beforeAll(async () => {
    tc = await startTestCenter('sqlite');
    const response = await fetch(`${tc.center.url}/openapi.json`);
    expect(response.status).toBe(200);
    doc = await response.json();
    current = doc;
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every route the server has, each with a tag, a summary and the common error shape', () => {
    const hidden = tc.center.app.routeTable.filter((r) => !described(r)).map((r) => `${r.method} ${r.url}`);
    expect(hidden.sort()).toEqual([...HIDDEN].sort());
    const routes = tc.center.app.routeTable.filter(described);
    expect(routes.length).toBeGreaterThan(30);
    const missing = routes.filter((r) => !doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()]);
    expect(missing).toEqual([]);
    for (const route of routes) {
      const operation = doc.paths[openApiPath(route.url)][route.method.toLowerCase()];
      expect({ route: `${route.method} ${route.url}`, tagged: operation.tags?.length > 0, summary: typeof operation.summary }).toEqual({
        route: `${route.method} ${route.url}`,
        tagged: true,
        summary: 'string',
      });
      expect(resolve(operation.responses['4XX'].content['application/json'].schema).properties.error.required).toEqual([
        'code',
        'message',
        'requestId',
      ]);
    }
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item as object).map((m) => `${m} ${path}`));
    expect(documented.length).toBe(routes.length);
  });

  it('states every body, param and query: writes refuse unknown members, ids have their pattern', () => {
    for (const route of tc.center.app.routeTable.filter(described)) {
      const schema = route.schema ?? {};
      const name = `${route.method} ${route.url}`;
      if (route.url.includes(':')) expect({ name, params: Boolean(schema.params) }).toEqual({ name, params: true });
      const body = schema.body as { additionalProperties?: boolean } | undefined;
      // The sync body is the LM's: the protocol lets later LMs add members.
      if (body && route.url !== '/v1/lm/sync') expect({ name, strict: body.additionalProperties }).toEqual({ name, strict: false });
    }
    const bind = doc.paths['/v1/licenses/{licenseId}/bind'].post;
    expect(bind.parameters).toContainEqual(expect.objectContaining({ name: 'licenseId', in: 'path', required: true }));
    expect(bind.security).toEqual([{ session: [] }, { apiToken: [] }]);
    expect(doc.paths['/v1/lm/sync'].post.security).toEqual([]);
  });

  it('declares every answer: each route names the schema of its success answer, and each operation has an id', () => {
    for (const route of tc.center.app.routeTable.filter(described)) {
      const name = `${route.method} ${route.url}`;
      const response = (route.schema?.response ?? {}) as Record<string, unknown>;
      const success = Object.keys(response).filter((status) => /^2\d\d$/.test(status) || status === 'default');
      expect({ name, success: success.length > 0 }).toEqual({ name, success: true });
      expect(doc.paths[openApiPath(route.url)][route.method.toLowerCase()].operationId, name).toMatch(/^(get|post|put|delete)[A-Z]\w+$/);
    }
    expect(doc.servers).toEqual([{ url: tc.center.services.config.publicUrl, description: expect.any(String) }]);
    expect(doc.info.license).toEqual({ name: 'Apache-2.0', identifier: 'Apache-2.0' });
  });

  it('serves /docs as one page with every operation, no scripts and a strict content policy', async () => {
    const response = await fetch(`${tc.center.url}/docs`);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const html = await response.text();
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/i);
    for (const path of Object.keys(doc.paths)) expect(html).toContain(`${path}</h3>`);
  });
});
