/**
 * Contracts and the staff's view of customers, at the service level on each dialect: a sale creates the contract
 * and its license together (or neither), keyset pages walk every row once, the name search behaves the same on
 * SQLite and PostgreSQL, and a customer's page shows its users without secrets.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/schema.js';
import { newId } from '../src/ids.js';
import type { AuditLog } from '../src/services/audit/audit.js';
import { Contracts } from '../src/services/contracts/contracts.js';
import type { ContractInput } from '../src/services/contracts/contracts.js';
import { Customers } from '../src/services/catalogue/customers.js';
import type { CustomerSummary } from '../src/services/catalogue/customers.js';
import { addMonths } from '../src/services/licenses/licenses.js';
import type { Licenses } from '../src/services/licenses/licenses.js';
import type { Catalogue } from '../src/services/catalogue/catalogue.js';
import type { Page } from '../src/services/pages.js';
import { DIALECTS } from './support/databases.js';
import { DAY, openLicensing, STAFF, T0, unwrap } from './support/licensing.js';
import type { Licensing } from './support/licensing.js';

describe.each(DIALECTS)('contracts on %s', (dialect) => {
  let opened: Licensing;
  let db: Kysely<Database>;
  let audit: AuditLog;
  let licenses: Licenses;
  let catalogue: Catalogue;
  let contracts: Contracts;
  let customers: Customers;
  const clock = { at: T0, now: () => clock.at };
  let graphdb: string;
  let guard: string;

  const newCustomer = async (name = `Customer ${randomBytes(3).toString('hex')}`) =>
    unwrap(await catalogue.createCustomer({ name }, STAFF)).id;
  const sale = (customerId: string, more: Partial<ContractInput> = {}): ContractInput => ({
    customerId,
    productId: graphdb,
    term: '1y',
    autoRenew: true,
    quantities: { query: 2, storage: 3 },
    ...more,
  });
  const count = async (table: 'contracts' | 'licenses' | 'customers') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    opened = await openLicensing(dialect, clock, randomBytes(32));
    ({ audit, licenses, catalogue } = opened);
    db = opened.handle.db;
    contracts = new Contracts({ db, licenses, audit, clock });
    customers = new Customers({ db, contracts });
    graphdb = unwrap(
      await catalogue.createProduct(
        { slug: 'graphdb', name: 'Graph DB', roles: ['query', 'storage'], limits: ['remote_clusters'], features: ['scan', 'backup'] },
        STAFF,
      ),
    ).id;
    guard = unwrap(
      await catalogue.createProduct({ slug: 'guard', name: 'Guard', roles: ['enforcer'], limits: [], features: ['enforce'] }, STAFF),
    ).id;
  });
  afterAll(async () => {
    await opened?.close();
  });

  it('a sale creates the contract and its license in one step: nodes are the quantities, the license ends with the term', async () => {
    const customerId = await newCustomer();
    const { contract, license } = unwrap(
      await contracts.create(sale(customerId, { limits: { remote_clusters: 2 }, features: ['scan'], mode: 'online' }), STAFF),
    );
    expect(contract).toMatchObject({
      customerId,
      productId: graphdb,
      source: 'sales',
      term: '1y',
      autoRenew: true,
      quantities: { query: 2, storage: 3 },
      externalId: null,
      startsAt: T0,
      endsAt: addMonths(T0, 12),
      status: 'active',
      createdAt: T0,
      licenseIds: [license.id],
    });
    expect(contract.id).toMatch(/^ctr_[0-9a-z]{20}$/);
    expect(license).toMatchObject({
      customerId,
      productId: graphdb,
      serial: 1,
      nodes: { query: 2, storage: 3 },
      limits: { remote_clusters: 2 },
      features: ['scan'],
      startsAt: T0,
      expiresAt: addMonths(T0, 12),
      mode: 'online',
      lmid: null,
    });
    const row = await db.selectFrom('licenses').select('contract_id').where('id', '=', license.id).executeTakeFirstOrThrow();
    expect(row.contract_id).toBe(contract.id);
    expect(unwrap(await contracts.get(contract.id))).toEqual(contract);
  });

  it('audits the contract and its license, each under its own id', async () => {
    const { contract, license } = unwrap(await contracts.create(sale(await newCustomer(), { autoRenew: false }), STAFF));
    const [contractEvent] = await audit.list({ subject: contract.id });
    expect(contractEvent).toMatchObject({
      actor: STAFF,
      action: 'contract.created',
      data: { licenseId: license.id, product: 'graphdb', term: '1y', autoRenew: false, quantities: { query: 2, storage: 3 } },
    });
    const [licenseEvent] = await audit.list({ subject: license.id });
    expect(licenseEvent).toMatchObject({ action: 'license.created', data: { contractId: contract.id, serial: 1 } });
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it('a one-month term ends a calendar month later, clamped to the end of a shorter month', async () => {
    const startsAt = Date.parse('2027-01-31T09:00:00Z');
    const { contract, license } = unwrap(await contracts.create(sale(await newCustomer(), { term: '1m', startsAt }), STAFF));
    expect(new Date(contract.endsAt).toISOString()).toBe('2027-02-28T09:00:00.000Z');
    expect(license.expiresAt).toBe(contract.endsAt);
    expect(license.startsAt).toBe(startsAt);
  });

  it('refuses bad sales with a sentence, and writes nothing', async () => {
    const customerId = await newCustomer();
    const before = { contracts: await count('contracts'), licenses: await count('licenses') };
    const refusals: [Partial<ContractInput>, string, RegExp][] = [
      [{ productId: 'prd_00000000000000000000' }, 'NOT_FOUND', /There is no product prd_0+\./],
      [{ customerId: 'cus_00000000000000000000' }, 'NOT_FOUND', /There is no customer cus_0+\./],
      [{ quantities: { query: 1, enforcer: 2 } }, 'BAD_REQUEST', /"enforcer" is not one of the roles of graphdb \(query, storage\)/],
      [{ productId: guard, quantities: { query: 1 } }, 'BAD_REQUEST', /"query" is not one of the roles of guard \(enforcer\)/],
      [{ quantities: {} }, 'BAD_REQUEST', /quantities must name at least one role/],
      [{ quantities: { query: 0 } }, 'BAD_REQUEST', /at least one node/],
      [{ quantities: { query: 1.5 } }, 'BAD_REQUEST', /whole number/],
      [{ term: '2y' as never }, 'BAD_REQUEST', /term must be 1m \(one month\) or 1y \(one year\)/],
      [{ autoRenew: 'yes' as never }, 'BAD_REQUEST', /autoRenew must be true or false/],
      [{ startsAt: -5 }, 'BAD_REQUEST', /startsAt must be a time/],
      [{ term: '1m', startsAt: T0 - 40 * DAY }, 'BAD_REQUEST', /would have ended on .*; start it later/],
      [{ features: ['teleport'] }, 'BAD_REQUEST', /"teleport" is not a feature of graphdb/],
      [{ limits: { nodes_max: 3 } }, 'BAD_REQUEST', /"nodes_max" is not one of the limits of graphdb/],
    ];
    for (const [change, code, detail] of refusals) {
      const result = await contracts.create(sale(customerId, change), STAFF);
      expect({ change, ok: result.ok }).toEqual({ change, ok: false });
      if (!result.ok)
        expect({ change, code: result.code, detail: result.detail }).toEqual({ change, code, detail: expect.stringMatching(detail) });
    }
    expect({ contracts: await count('contracts'), licenses: await count('licenses') }).toEqual(before);
  });

  it('rolls the contract back when its license is refused inside the transaction', async () => {
    const customerId = await newCustomer();
    const before = await count('contracts');
    const result = await contracts.create(sale(customerId, { mode: 'sideways' as never }), STAFF);
    expect(result).toEqual({ ok: false, code: 'BAD_REQUEST', detail: 'mode must be online or offline.' });
    expect(await count('contracts')).toBe(before);
    expect(unwrap(await contracts.list({ customerId })).items).toEqual([]);
  });

  it('lists contracts newest first in keyset pages that visit each once, also when created in the same millisecond', async () => {
    const customerId = await newCustomer();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      if (i !== 2) clock.at += 1000; // two share a created_at: the id breaks the tie
      made.push(unwrap(await contracts.create(sale(customerId), STAFF)).contract.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = unwrap(await contracts.list({ customerId, limit: 2, ...(cursor ? { cursor } : {}) }));
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.id));
      for (const item of page.items) expect(item.licenseIds).toHaveLength(1);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    const all = unwrap(await contracts.list({ customerId }));
    expect(all.items.map((c) => c.id)).toEqual(seen);
    expect(all.nextCursor).toBeNull();
    const order = all.items.map((c) => [c.createdAt, c.id] as const);
    expect([...order].sort((a, b) => b[0] - a[0] || (b[1] < a[1] ? -1 : 1))).toEqual(order);
    expect(seen.slice().sort()).toEqual(made.slice().sort());
    // Without customerId every customer's are listed; the newest is this customer's last.
    expect(unwrap(await contracts.list({ limit: 1 })).items[0]!.id).toBe(seen[0]);
  });

  it('refuses a bad page request and an unknown contract or customer', async () => {
    expect(await contracts.list({ limit: 0 })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await contracts.list({ cursor: 'not a cursor' })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    // A cursor of the customers list is not one of this list.
    const customerCursor = unwrap(await customers.list({ limit: 1 })).nextCursor!;
    expect(await contracts.list({ cursor: customerCursor })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await contracts.list({ customerId: 'cus_00000000000000000000' })).toEqual({
      ok: false,
      code: 'NOT_FOUND',
      detail: 'There is no customer cus_00000000000000000000.',
    });
    expect(await contracts.get('ctr_00000000000000000000')).toEqual({
      ok: false,
      code: 'NOT_FOUND',
      detail: 'There is no contract ctr_00000000000000000000.',
    });
  });

  it('finds customers by any part of the name in any letter case, % and _ as themselves', async () => {
    const tag = randomBytes(3).toString('hex');
    const acme = await newCustomer(`ACME Corp ${tag}`);
    const bigAcme = await newCustomer(`Big acme ${tag}`);
    const percent = await newCustomer(`100% Pure ${tag}`);
    await newCustomer(`Initech ${tag}`);
    const ids = async (q: string) => unwrap(await customers.list({ q })).items.map((c) => c.id);
    expect((await ids(`acme corp ${tag}`)).sort()).toEqual([acme]);
    expect((await ids('aCmE')).filter((id) => [acme, bigAcme].includes(id)).sort()).toEqual([acme, bigAcme].sort());
    expect(await ids(`Acme ${tag}`)).toEqual([bigAcme]);
    expect(await ids(`% pure ${tag}`)).toEqual([percent]);
    expect(await ids(`0_ P`)).toEqual([]);
    expect(await ids('no such customer anywhere')).toEqual([]);
    expect(await customers.list({ q: 'x'.repeat(201) })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
  });

  it('pages customers newest first, each once', async () => {
    const total = await count('customers');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<CustomerSummary> = unwrap(await customers.list({ limit: 3, ...(cursor ? { cursor } : {}) }));
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    const created = await db.selectFrom('customers').select(['id']).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    expect(seen).toEqual(created.map((c) => c.id));
  });

  it('shows a customer with its users (never a password hash), contracts and license count', async () => {
    const customerId = await newCustomer('Umbrella');
    const userId = newId('usr_');
    await db
      .insertInto('users')
      .values({
        id: userId,
        customer_id: customerId,
        email: 'alice@umbrella.example',
        name: 'Alice',
        password_hash: '$argon2id$v=19$secret',
        role: 'customer',
        status: 'active',
        created_at: clock.now(),
        activated_at: clock.now(),
      })
      .execute();
    const { contract, license } = unwrap(await contracts.create(sale(customerId), STAFF));
    // A license sold outside a contract counts too.
    unwrap(
      await licenses.createLicense(
        { customerId, productId: guard, nodes: { enforcer: 1 }, startsAt: clock.now(), expiresAt: clock.now() + 30 * DAY },
        STAFF,
      ),
    );
    const details = unwrap(await customers.get(customerId));
    expect(details).toEqual({
      id: customerId,
      name: 'Umbrella',
      createdAt: expect.any(Number),
      users: [{ id: userId, email: 'alice@umbrella.example', name: 'Alice', status: 'active' }],
      contracts: { items: [{ ...contract, licenseIds: [license.id] }], nextCursor: null },
      licenseCount: 2,
    });
    expect(JSON.stringify(details)).not.toContain('argon2');
    expect(await customers.get('cus_00000000000000000000')).toEqual({
      ok: false,
      code: 'NOT_FOUND',
      detail: 'There is no customer cus_00000000000000000000.',
    });
  });

  it('lists every product by slug with its roles, limits and features', async () => {
    expect(await catalogue.listProducts()).toEqual([
      {
        id: graphdb,
        slug: 'graphdb',
        name: 'Graph DB',
        roles: ['query', 'storage'],
        limits: ['remote_clusters'],
        features: ['scan', 'backup'],
        outageGraceHours: 72,
        createdAt: T0,
      },
      {
        id: guard,
        slug: 'guard',
        name: 'Guard',
        roles: ['enforcer'],
        limits: [],
        features: ['enforce'],
        outageGraceHours: 72,
        createdAt: T0,
      },
    ]);
  });
});
