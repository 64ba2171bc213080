/**
 * docs/lm-openapi.yaml against the daemon's own route table and core's LM API types: every route is documented,
 * every body and query the server validates is documented with the same members, the same required ones and the
 * same strictness, and every schema is named after the type of @tessera/core (lm-api.ts) the LM, its CLI and the SDK
 * share, with that type's members and required ones. A route, a field or a type member added on one side fails here
 * until the other says it. What the LM answers is held to the document in every test (support/world.ts call()).
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_DESCRIPTIONS } from '@tessera/core';
import type { Daemon } from '../src/daemon.js';
import { answerProblem, spec } from './support/lm-openapi.js';
import type { JsonSchema } from './support/lm-openapi.js';
import { admin, call, licenseFor, makeWorld, start } from './support/world.js';
import type { World } from './support/world.js';

let world: World;
let lm: Daemon;
beforeAll(async () => {
  world = makeWorld();
  lm = await start(world);
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

/** The interfaces of core's lm-api.ts: each one's members, and which of them are required (no `?`). */
function coreApiTypes(): Map<string, { properties: string[]; required: string[] }> {
  const file = fileURLToText('../../core/src/lm-api.ts');
  const source = ts.createSourceFile('lm-api.ts', file, ts.ScriptTarget.ES2022, true);
  const types = new Map<string, { properties: string[]; required: string[] }>();
  for (const statement of source.statements) {
    if (!ts.isInterfaceDeclaration(statement)) continue;
    const properties = statement.members.filter(ts.isPropertySignature);
    types.set(statement.name.text, {
      properties: properties.map((p) => p.name.getText(source)).sort(),
      required: properties
        .filter((p) => !p.questionToken)
        .map((p) => p.name.getText(source))
        .sort(),
    });
  }
  return types;
}

function fileURLToText(relative: string): string {
  return readFileSync(new URL(relative, import.meta.url), 'utf8');
}

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

  it("names its schemas after core's LM API types, each with the type's members and the same required ones", () => {
    const types = coreApiTypes();
    expect(types.size).toBeGreaterThan(15);
    // Counts is the document's name for a request's map of names to numbers; LmStatus is a union, checked below.
    const schemas = Object.keys(spec.components.schemas).filter((name) => name !== 'Counts' && name !== 'LmStatus');
    expect(schemas.sort()).toEqual([...types.keys()].sort());
    for (const [name, type] of types) {
      const schema = members(spec.components.schemas[name]);
      expect({ name, properties: schema.properties, required: schema.required }).toEqual({ name, ...type });
      // A request must not take members the server does not check; an answer must not carry members the type lacks.
      expect({ name, closed: schema.strict }).toEqual({ name, closed: true });
    }
  });

  it("lists core's license statuses and Syncing as the LM's statuses (LmStatus)", () => {
    expect([...(spec.components.schemas.LmStatus!.enum as string[])].sort()).toEqual(
      [...Object.keys(STATUS_DESCRIPTIONS), 'Syncing'].sort(),
    );
  });

  it('answers the key operations as it documents them (every call() is checked against the document)', async () => {
    expect((await call(lm, 'GET', '/health')).status).toBe(200);
    expect((await call(lm, 'GET', '/version')).status).toBe(200);
    expect((await call(lm, 'GET', '/v1/info')).body.status).toBe('NotExist');
    expect((await call(lm, 'GET', '/metrics')).status).toBe(200);
    expect((await call(lm, 'GET', '/')).status).toBe(200);
    expect((await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid) })).body.status).toBe('Normal');
    expect((await call(lm, 'GET', '/v1/license?nonce=AAAAAAAAAAAAAAAAAAAAAAAA')).body.answer).toMatch(/^tessera-answer:/);
    const checkout = await call(lm, 'POST', '/v1/seats/checkout', {
      product: 'graphdb',
      role: 'query',
      nodeId: 'q1',
      instance: 'i1',
      host: 'h',
    });
    expect(checkout.status).toBe(200);
    const lease = { leaseId: checkout.body.leaseId, instance: 'i1' };
    expect((await call(lm, 'POST', '/v1/seats/heartbeat', lease)).status).toBe(200);
    expect((await call(lm, 'GET', '/v1/usage')).body.leases).toHaveLength(1);
    expect((await call(lm, 'GET', '/v1/info')).body.nodes.query).toEqual({ total: 2, used: 1, free: 1 });
    expect((await call(lm, 'POST', '/v1/seats/release', lease)).body).toEqual({ released: true });
    expect((await call(lm, 'POST', '/v1/seats/release', lease)).status).toBe(404);
    expect((await admin(lm, '/v1/admin/sync')).status).toBe(409);
    const code = await admin(lm, '/v1/admin/request-code', { name: 'Ann', email: 'ann@example.com', nodes: { query: 3 } });
    expect(code.body.lmid).toBe(lm.lmid);
    expect((await call(lm, 'GET', '/nowhere')).status).toBe(404);
  });

  it('finds an answer it does not describe (the check itself works)', () => {
    const usage = { status: 'Normal', roles: { query: { total: 2, used: 0, free: 2 } }, leases: [] };
    const json = 'application/json; charset=utf-8';
    expect(answerProblem('GET', '/v1/usage', 200, json, usage)).toBeNull();
    expect(answerProblem('GET', '/v1/usage', 200, json, { ...usage, extra: 1 })).toMatch(/must NOT have additional properties/);
    expect(answerProblem('GET', '/v1/usage', 200, json, { status: 'Normal', roles: {} })).toMatch(/must have required property 'leases'/);
    expect(answerProblem('GET', '/v1/usage', 200, json, { ...usage, status: 'Fine' })).toMatch(
      /must be equal to one of the allowed values/,
    );
    expect(answerProblem('GET', '/v1/usage', 200, 'text/html', '<p>')).toMatch(/text\/html, which docs\/lm-openapi.yaml does not name/);
    expect(answerProblem('POST', '/v1/seats/release', 409, json, { error: { code: 'X', message: 'm', requestId: 'r' } })).toMatch(
      /a status its operation in docs\/lm-openapi.yaml does not list/,
    );
    expect(answerProblem('POST', '/v1/seats/release', 404, json, { error: { code: 'LEASE_NOT_FOUND', message: 'm' } })).toMatch(
      /requestId/,
    );
    expect(answerProblem('GET', '/v1/info', 200, json, { lastSync: { at: 'yesterday' } })).toMatch(
      /must match format "date-time"|required/,
    );
  });
});
