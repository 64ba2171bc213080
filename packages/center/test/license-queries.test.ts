import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSyncRequest, maskOnlineKey } from '@tessera/core';
import { CompiledQuery } from 'kysely';
import type { DatabaseHandle } from '../src/db/connect.js';
import { newId } from '../src/ids.js';
import { cardsQuery, LicenseQueries } from '../src/services/licenses/license-queries.js';
import type { LicenseCard } from '../src/services/licenses/license-queries.js';
import type { Licenses } from '../src/services/licenses/licenses.js';
import type { Catalogue } from '../src/services/catalogue/catalogue.js';
import type { LicenseView } from '../src/services/licenses/licenses.js';
import { onlineKeyFor } from '../src/services/licenses/online-keys.js';
import type { SigningKeys } from '../src/services/trust/signing-keys.js';
import { SyncService } from '../src/services/sync/sync.js';
import { ClockResets } from '../src/services/trust/clock-resets.js';
import { DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';
import type { TrustBundles } from '../src/services/trust/trust-bundles.js';
import { DAY, makeLm, openLicensing, STAFF, syncAnswer, T0, unwrap } from './support/licensing.js';

describe.each(DIALECTS)('license queries on %s', (dialect) => {
  let target: TestDatabase;
  let handle: DatabaseHandle;
  let licenses: Licenses;
  let catalogue: Catalogue;
  let trustBundles: TrustBundles;
  let clockResets: ClockResets;
  let queries: LicenseQueries;
  let keys: SigningKeys;
  const clock = { at: T0, now: () => clock.at };
  const masterKey = randomBytes(32);
  let productId: string;
  let customerId: string;
  let otherCustomerId: string;

  beforeAll(async () => {
    const opened = await openLicensing(dialect, clock, masterKey);
    trustBundles = opened.trustBundles;
    clockResets = new ClockResets({ keys: opened.keys, audit: opened.audit, clock });
    ({ target, handle, licenses, catalogue } = opened);
    keys = opened.keys;
    queries = new LicenseQueries({ db: handle.db, clock, masterKey });
    productId = unwrap(
      await catalogue.createProduct(
        { slug: 'graphdb', name: 'Graph DB', roles: ['query', 'storage'], limits: ['remote_clusters'], features: ['scan'] },
        STAFF,
      ),
    ).id;
    customerId = unwrap(await catalogue.createCustomer({ name: 'Acme Corp' }, STAFF)).id;
    otherCustomerId = unwrap(await catalogue.createCustomer({ name: 'Other Inc' }, STAFF)).id;
  });
  afterAll(async () => {
    await handle.close();
    await target.drop();
  });

  const sell = async (change: Partial<Parameters<Licenses['createLicense']>[0]> = {}): Promise<LicenseView> =>
    unwrap(
      await licenses.createLicense(
        { customerId, productId, nodes: { query: 3, storage: 5 }, startsAt: T0 - DAY, expiresAt: T0 + 365 * DAY, ...change },
        STAFF,
      ),
    );

  it('pages a customer with 120 licenses in pages of 50, newest first, with stable cursors and no other customer', async () => {
    const customer = unwrap(await catalogue.createCustomer({ name: 'Many Licenses Ltd' }, STAFF)).id;
    const created: string[] = [];
    for (let i = 0; i < 120; i++) {
      // Groups of 7 share a creation time: the id breaks the tie.
      clock.at = T0 + Math.floor(i / 7) * 1000;
      created.push((await sell({ customerId: customer, nodes: { query: i + 1 } })).id);
      if (i % 10 === 0) await sell({ customerId: otherCustomerId });
    }
    clock.at = T0;
    const pages: LicenseCard[][] = [];
    let cursor: string | undefined;
    const cursors: string[] = [];
    do {
      const page = unwrap(await queries.listForCustomer(customer, cursor === undefined ? {} : { cursor }));
      pages.push(page.items);
      cursor = page.nextCursor ?? undefined;
      if (cursor) cursors.push(cursor);
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
    const seen = pages.flat().map((c) => c.id);
    expect(new Set(seen).size).toBe(120);
    expect(new Set(seen)).toEqual(new Set(created));
    // Newest first: creation times never increase down the list.
    const nodesInOrder = pages.flat().map((c) => c.nodes.query!);
    const timeOf = (n: number) => Math.floor((n - 1) / 7);
    for (let i = 1; i < nodesInOrder.length; i++) expect(timeOf(nodesInOrder[i]!)).toBeLessThanOrEqual(timeOf(nodesInOrder[i - 1]!));
    // A cursor is stable: the same page again, even after newer licenses were added.
    clock.at = T0 + 10 * DAY;
    await sell({ customerId: customer });
    clock.at = T0;
    const again = unwrap(await queries.listForCustomer(customer, { cursor: cursors[0]! }));
    expect(again.items.map((c) => c.id)).toEqual(pages[1]!.map((c) => c.id));
    expect(again.nextCursor).toBe(cursors[1]);
    // Cards carry what the home page shows.
    expect(pages[0]![0]).toMatchObject({ product: { slug: 'graphdb', name: 'Graph DB' }, lmid: null, status: 'active', mode: 'offline' });
    // Other sizes, and refusals.
    expect(unwrap(await queries.listForCustomer(customer, { limit: 200 })).items).toHaveLength(121);
    for (const limit of [0, 201, 1.5]) {
      expect(await queries.listForCustomer(customer, { limit })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    }
    for (const bad of ['nope!', 'bm9wZQ', Buffer.from('1:cus_x').toString('base64url')]) {
      expect(await queries.listForCustomer(customer, { cursor: bad })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    }
    // A cursor of one customer used for another pages that customer only.
    const foreign = unwrap(await queries.listForCustomer(otherCustomerId, { cursor: cursors[0]! }));
    for (const card of foreign.items) expect(created).not.toContain(card.id);
    expect(unwrap(await queries.listForCustomer('cus_nobody'))).toEqual({ items: [], nextCursor: null });
  });

  it('computes the state at the boundaries of warn and grace days, and shows suspended and ended as stored', async () => {
    const expiresAt = T0 + 40 * DAY;
    const customer = unwrap(await catalogue.createCustomer({ name: 'Boundaries Inc' }, STAFF)).id;
    const license = await sell({ customerId: customer, expiresAt });
    const stateAt = async (at: number) => {
      clock.at = at;
      const card = unwrap(await queries.listForCustomer(customer)).items[0]!;
      const details = unwrap(await queries.details(license.id, { customerId: customer }));
      expect(details.basic.status).toBe(card.status);
      return card.status;
    };
    expect(await stateAt(expiresAt - 30 * DAY - 1)).toBe('active');
    expect(await stateAt(expiresAt - 30 * DAY)).toBe('expiring');
    expect(await stateAt(expiresAt - 1)).toBe('expiring');
    expect(await stateAt(expiresAt)).toBe('grace');
    expect(await stateAt(expiresAt + 14 * DAY - 1)).toBe('grace');
    expect(await stateAt(expiresAt + 14 * DAY)).toBe('expired');
    await handle.db.updateTable('licenses').set({ status: 'suspended' }).where('id', '=', license.id).execute();
    expect(await stateAt(T0)).toBe('suspended');
    await handle.db.updateTable('licenses').set({ status: 'ended' }).where('id', '=', license.id).execute();
    expect(await stateAt(T0)).toBe('ended');
    clock.at = T0;
  });

  it('details: every section, the usage the LM last reported, history newest first; another customer gets NOT_FOUND', async () => {
    const lm = makeLm();
    const license = await sell({ mode: 'online', limits: { remote_clusters: 2 }, features: ['scan'] });
    // Unbound and online: no offline key, with the reason.
    const before = unwrap(await queries.details(license.id, { customerId }));
    expect(before.key).toMatchObject({ mode: 'online', offlineKeyAvailable: false });
    expect(before.usage).toBeNull();
    expect(before.subscription).toBeNull();

    unwrap(await licenses.bindLmid(license.id, lm.lmid, { customerId }, 'usr_c'));
    const contractId = newId('ctr_');
    await handle.db
      .insertInto('contracts')
      .values({
        id: contractId,
        customer_id: customerId,
        product_id: productId,
        source: 'marketplace',
        term: '1y',
        auto_renew: 1,
        quantities: JSON.stringify({ query: 3, storage: 5 }),
        external_id: 'mp-cust-1',
        starts_at: T0 - DAY,
        ends_at: T0 + 365 * DAY,
        status: 'active',
        created_at: T0,
      })
      .execute();
    await handle.db.updateTable('licenses').set({ contract_id: contractId }).where('id', '=', license.id).execute();
    clock.at = T0 + 5000;
    const sync = new SyncService({ db: handle.db, licenses, keys, trustBundles, clockResets, clock });
    const answer = await syncAnswer(sync, {
      request: buildSyncRequest(
        {
          onlineKey: onlineKeyFor(masterKey, license.id),
          lmid: lm.lmid,
          lmPublicKeyRaw: lm.lmPublicKeyRaw,
          hostDigest: lm.hostDigest,
          known: null,
          usage: { query: 2, storage: 4 },
          lmVersion: '0.3.1',
          host: { hostname: 'graph-01', os: 'linux x64' },
        },
        lm.privateKey,
      ),
    });
    expect(answer.status).toBe(200);
    unwrap(await licenses.setMode(license.id, 'offline', { customerId }, 'usr_c'));

    const details = unwrap(await queries.details(license.id, { customerId }));
    expect(details.basic).toEqual({
      id: license.id,
      customer: { id: customerId, name: 'Acme Corp' },
      lmid: lm.lmid,
      type: 'NODE',
      serial: 3,
      startsAt: T0 - DAY,
      expiresAt: T0 + 365 * DAY,
      status: 'active',
    });
    expect(details.resources).toEqual({
      product: { id: productId, slug: 'graphdb', name: 'Graph DB' },
      nodes: { query: 3, storage: 5 },
      limits: { remote_clusters: 2 },
      features: ['scan'],
      outageGraceHours: 72,
      outageGraceOverride: null,
    });
    expect(details.key).toEqual({
      mode: 'offline',
      onlineKeyMasked: maskOnlineKey(onlineKeyFor(masterKey, license.id)),
      offlineKeyAvailable: true,
      offlineKeyNote: null,
    });
    expect(details.key.onlineKeyMasked).not.toBe(onlineKeyFor(masterKey, license.id));
    expect(details.subscription).toEqual({
      id: contractId,
      source: 'marketplace',
      term: '1y',
      autoRenew: true,
      startsAt: T0 - DAY,
      endsAt: T0 + 365 * DAY,
      status: 'active',
      externalId: 'mp-cust-1',
    });
    expect(details.usage).toEqual({
      lmid: lm.lmid,
      usage: { query: 2, storage: 4 },
      lmVersion: '0.3.1',
      host: { hostname: 'graph-01', os: 'linux x64' },
      reportedAt: T0 + 5000,
    });
    // The customer sees who as a word: usr_c is no user of theirs, so to them it is the vendor, like STAFF.
    expect(details.history.map((h) => [h.kind, h.serial, h.actor])).toEqual([
      ['mode', 3, 'vendor'],
      ['bound', 2, 'vendor'],
      ['created', 1, 'vendor'],
    ]);
    expect(details.history[1]!.detail).toMatchObject({ lmid: lm.lmid });
    // Staff see it too, with who did what; another customer, or no such license, is NOT_FOUND alike.
    const staffView = unwrap(await queries.details(license.id, { customerId: null }));
    expect(staffView.basic.id).toBe(license.id);
    expect(staffView.history.map((h) => h.actor)).toEqual(['usr_c', 'usr_c', STAFF]);
    expect(await queries.details(license.id, { customerId: otherCustomerId })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await queries.details('lic_nope', { customerId: null })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    clock.at = T0;
  });

  it('details keeps the last 50 changes of the history, newest first', async () => {
    const license = await sell();
    for (let i = 0; i < 27; i++) {
      unwrap(await licenses.setMode(license.id, 'online', { customerId }, STAFF));
      unwrap(await licenses.setMode(license.id, 'offline', { customerId }, STAFF));
    }
    const history = unwrap(await queries.details(license.id, { customerId })).history;
    expect(history).toHaveLength(50);
    expect(history[0]!.serial).toBe(55);
    expect(history.at(-1)!.serial).toBe(6);
  });

  it('the card list is served by the licenses_customer index', async () => {
    let customer = customerId;
    if (dialect === 'postgres') {
      // A customer with more licenses than a page (400 of 4,000): reading them all and sorting would cost more
      // than walking the index backwards and stopping after one page, so the planner must choose the index.
      const customers = Array.from({ length: 10 }, (_, i) => ({ id: newId('cus_'), name: `Bulk ${i}`, created_at: T0 }));
      await handle.db.insertInto('customers').values(customers).execute();
      const rows = Array.from({ length: 4000 }, (_, i) => ({
        id: newId('lic_'),
        customer_id: customers[i % customers.length]!.id,
        contract_id: null,
        product_id: productId,
        serial: 1,
        nodes: '{"query":1}',
        limits: '{}',
        features: '[]',
        starts_at: T0,
        expires_at: T0 + 365 * DAY,
        warn_days: 30,
        grace_days: 14,
        status: 'active' as const,
        mode: 'offline' as const,
        lmid: null,
        online_key_hash: randomBytes(32).toString('hex'),
        signed_text: null,
        signed_serial: null,
        created_at: T0 + i,
        updated_at: T0 + i,
      }));
      for (let i = 0; i < rows.length; i += 500)
        await handle.db
          .insertInto('licenses')
          .values(rows.slice(i, i + 500))
          .execute();
      await handle.db.executeQuery(CompiledQuery.raw('analyze licenses'));
      customer = customers[0]!.id;
    }
    const plan = async (cursor: { createdAt: number; id: string } | null) => {
      const compiled = cardsQuery(handle.db, customer, 51, cursor).compile();
      const explain = dialect === 'sqlite' ? 'explain query plan ' : 'explain ';
      const result = await handle.db.executeQuery<Record<string, unknown>>(
        CompiledQuery.raw(explain + compiled.sql, [...compiled.parameters]),
      );
      return result.rows.map((r) => String(r['detail'] ?? r['QUERY PLAN'])).join('\n');
    };
    for (const cursor of [null, { createdAt: T0, id: 'lic_zzzz' }]) {
      const text = await plan(cursor);
      expect(text).toContain('licenses_customer');
      if (dialect === 'postgres') {
        expect(text).toMatch(/Index Scan( Backward)? using licenses_customer/);
        expect(text).not.toMatch(/Sort|Seq Scan on licenses/);
      } else {
        expect(text).not.toContain('TEMP B-TREE');
      }
    }
  });
});
