/**
 * docs/lm-openapi.yaml against the daemon's own route table: every route is documented, and every body and query
 * the server validates is documented with the same members, the same required ones, and the same strictness. A
 * route or a field added to the server fails here until the document says it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Daemon } from '../src/daemon.js';
import { makeWorld, start } from './support/world.js';
import type { World } from './support/world.js';

interface JsonSchema {
  $ref?: string;
  type?: unknown;
  required?: string[];
  properties?: Record<string, unknown>;
  additionalProperties?: unknown;
}
interface Operation {
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, unknown>;
}

let world: World;
let lm: Daemon;
let spec: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, JsonSchema> } };
beforeAll(async () => {
  world = makeWorld();
  lm = await start(world);
  spec = parse(readFileSync(new URL('../../../docs/lm-openapi.yaml', import.meta.url), 'utf8'));
});
afterAll(async () => {
  await lm.close();
  world.cleanup();
});

const resolve = (schema: JsonSchema): JsonSchema =>
  schema.$ref ? spec.components.schemas[schema.$ref.replace('#/components/schemas/', '')]! : schema;
const members = (schema: JsonSchema | undefined) => ({
  properties: Object.keys(schema?.properties ?? {}).sort(),
  required: [...(schema?.required ?? [])].sort(),
  strict: schema?.additionalProperties === false,
});

describe('docs/lm-openapi.yaml', () => {
  it('documents every route the daemon serves, and no route it does not', () => {
    const documented = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const served = lm.routeTable.map((route) => `${route.method} ${route.url}`);
    expect(documented.sort()).toEqual(served.sort());
  });

  it('documents each body and query parameter as the server checks them', () => {
    for (const route of lm.routeTable) {
      const operation = spec.paths[route.url]![route.method.toLowerCase()]!;
      const name = `${route.method} ${route.url}`;
      const body = route.schema?.body as JsonSchema | undefined;
      const documentedBody = operation.requestBody?.content['application/json'].schema;
      expect({ name, ...members(documentedBody && resolve(documentedBody)) }).toEqual({ name, ...members(body) });
      const query = route.schema?.querystring as JsonSchema | undefined;
      const parameters = (operation.parameters ?? []).filter((p) => p.in === 'query');
      expect({ name, query: parameters.map((p) => p.name).sort() }).toEqual({ name, query: Object.keys(query?.properties ?? {}).sort() });
    }
  });

  it('marks the routes behind seats.secret, with their 401', () => {
    for (const route of lm.routeTable.filter((r) => r.url === '/v1/license' || r.url.startsWith('/v1/seats/'))) {
      const operation = spec.paths[route.url]![route.method.toLowerCase()]!;
      expect({ route: route.url, security: operation.security, has401: '401' in operation.responses }).toEqual({
        route: route.url,
        security: [{}, { seatSecret: [] }],
        has401: true,
      });
    }
  });
});
