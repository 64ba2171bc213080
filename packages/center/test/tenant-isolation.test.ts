/**
 * The tenant-isolation matrix: every customer route that names a resource, called by customer A with customer
 * B's id, answers 404 exactly as for an id that does not exist, and changes nothing of B's. Every staff route
 * answers a customer 404 as a route that does not exist. Routes are taken from the server's own route table, so
 * a route added later is in the matrix (and fails here until it has an example body).
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { startTestCenter } from './support/http.js';
import type { Client, TestCenter } from './support/http.js';
import { makeLm } from './support/licensing.js';

const DAY = 86_400_000;
const NOWHERE = {
  licenseId: 'lic_00000000000000000000',
  customerId: 'cus_00000000000000000000',
  contractId: 'ctr_00000000000000000000',
  packageId: 'pkg_00000000000000000000',
};

/** A valid body for each write, so the answer is about the id and not about the input. */
const BODIES: Record<string, (ids: { lmid: string }) => unknown> = {
  'POST /v1/licenses/:licenseId/bind': ({ lmid }) => ({ lmid }),
  'PUT /v1/licenses/:licenseId/mode': () => ({ mode: 'online' }),
  'POST /v1/licenses/:licenseId/renewal-request': () => ({ months: 12 }),
  'POST /v1/licenses/:licenseId/packages/:packageId/link': () => ({}),
  // The License Manager's packages are every customer's; B's id here is a package of B's product, not one of them.
  'POST /v1/lm-packages/:packageId/link': () => ({}),
};

const isCustomerRoute = (url: string) => url.startsWith('/v1/') && !/^\/v1\/(staff|auth|lm)\//.test(url) && url !== '/v1/trust-bundle';
const fill = (url: string, ids: Record<string, string>) => url.replace(/:(\w+)/g, (_m, name: string) => ids[name] ?? `:${name}`);

describe.each(DIALECTS)('tenant isolation on %s', (dialect) => {
  let tc: TestCenter;
  let a: Client;
  let b: Client;
  let bIds: Record<string, string>;
  let bLicense: unknown;

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    const { licenses, catalogue } = tc.center.services;
    const product = await catalogue.createProduct(
      { slug: 'graphdb', name: 'Graph DB', roles: ['query'], limits: [], features: [] },
      'usr_test',
    );
    if (!product.ok) throw new Error(product.detail);
    a = (await tc.customer('a@tenant-a.example')).client;
    const customerB = await tc.customer('b@tenant-b.example');
    b = customerB.client;
    const now = tc.clock.now();
    const license = await licenses.createLicense(
      { customerId: customerB.customerId, productId: product.value.id, nodes: { query: 2 }, startsAt: now, expiresAt: now + 90 * DAY },
      'usr_test',
    );
    if (!license.ok) throw new Error(license.detail);
    // A package of B's product, so the link route is asked for something that exists.
    const uploaded = await tc.center.services.packages.upload(
      { product: 'graphdb', version: '1.0.0', platform: 'linux-amd64', filename: 'graphdb.tar.gz' },
      Readable.from([Buffer.from('package bytes')]),
      null,
      'usr_test',
    );
    if (!uploaded.ok) throw new Error(uploaded.detail);
    bIds = { licenseId: license.value.id, customerId: customerB.customerId, contractId: NOWHERE.contractId, packageId: uploaded.value.id };
    bLicense = (await b.get(`/v1/licenses/${license.value.id}`)).body;
  });
  afterAll(async () => {
    await tc?.close();
  });

  it("answers every customer route with another customer's id as if it did not exist", async () => {
    const routes = tc.center.app.routeTable.filter((r) => isCustomerRoute(r.url) && r.url.includes(':'));
    expect(routes.length).toBeGreaterThanOrEqual(4);
    const lmid = makeLm().lmid;
    for (const route of routes) {
      const name = `${route.method} ${route.url}`;
      const write = route.method !== 'GET';
      if (write) expect({ name, example: name in BODIES }).toEqual({ name, example: true });
      const body = write ? BODIES[name]!({ lmid }) : undefined;
      const theirs = await a.call(route.method, fill(route.url, bIds), body);
      const none = await a.call(route.method, fill(route.url, NOWHERE), body);
      expect({ name, status: theirs.status, code: theirs.body.error?.code }).toEqual({ name, status: 404, code: 'NOT_FOUND' });
      expect({ name, status: none.status }).toEqual({ name, status: 404 });
      // The same words, the id aside: nothing tells "someone else's" from "nobody's".
      const words = (answer: typeof theirs, ids: Record<string, string>) =>
        Object.values(ids).reduce((m, id) => m.replaceAll(id, '<id>'), answer.body.error.message as string);
      expect(words(theirs, bIds)).toBe(words(none, NOWHERE));
    }
    // B's license is as it was: nothing bound, no mode switched, serial unchanged.
    expect((await b.get(`/v1/licenses/${bIds.licenseId}`)).body).toEqual(bLicense);
  });

  it("does not list another customer's licenses", async () => {
    const mine = await a.get('/v1/licenses');
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((c: { id: string }) => c.id)).not.toContain(bIds.licenseId);
    expect((await b.get('/v1/licenses')).body.items.map((c: { id: string }) => c.id)).toEqual([bIds.licenseId]);
  });

  it('answers every staff route to a customer as a route that does not exist, whatever the body', async () => {
    const routes = tc.center.app.routeTable.filter((r) => r.url.startsWith('/v1/staff/'));
    expect(routes.length).toBeGreaterThanOrEqual(15);
    for (const route of routes) {
      const path = fill(route.url, { ...bIds, kid: 'anykid', userId: 'usr_00000000000000000000', tokenId: 'tok_00000000000000000000' });
      const answer = await a.call(route.method, path, route.method === 'GET' ? undefined : { anything: 'at all' });
      const name = `${route.method} ${route.url}`;
      expect({ name, status: answer.status, message: answer.body.error?.message }).toEqual({
        name,
        status: 404,
        message: `There is no ${route.method} ${path} here.`,
      });
    }
    // And without any login it is 401, not a validation error.
    const anonymous = await fetch(`${tc.center.url}/v1/staff/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
  });
});
