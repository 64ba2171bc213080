/**
 * The License Center as deployed, through the real `tessera-center` binary: two processes serving one PostgreSQL
 * database share every piece of state (writes, sessions, the signing key) and send each mail once; and kill -9
 * in the middle of a stream of writes loses no change that was acknowledged, on both dialects.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLicense, readTrustFile } from '@tessera/core';
import type { TrustBundle } from '@tessera/core';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';
import { Client, PASSWORD } from './support/http.js';
import { makeLm } from './support/licensing.js';
import { killAll, lcEnv, runCli, serveLc, waitFor } from './support/processes.js';
import { SmtpReceiver } from './support/smtp.js';
import type { LcEnv, RunningLc } from './support/processes.js';

const DAY = 86_400_000;

/** `tessera-center staff create --api-token` through the CLI; the token it prints. */
async function createAdmin(dataDir: string, env: LcEnv, email: string): Promise<string> {
  const run = await runCli(dataDir, env, ['--json', 'staff', 'create', '--email', email, '--role', 'admin', '--api-token']);
  if (run.status !== 0) throw new Error(`staff create: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { apiToken: string }).apiToken;
}

async function trustOf(lc: RunningLc): Promise<{ text: string; bundle: TrustBundle }> {
  const text = await (await fetch(`${lc.url}/v1/trust-bundle`)).text();
  const parsed = readTrustFile(text);
  if (!parsed.ok) throw new Error(parsed.detail);
  return { text, bundle: parsed.value.bundle };
}

describe.runIf(DIALECTS.includes('postgres'))('two tessera-center processes on one PostgreSQL database', () => {
  let target: TestDatabase;
  let dirB: string;
  let env: LcEnv;
  let receiver: SmtpReceiver;
  let db: pg.Client;
  let a: RunningLc;
  let b: RunningLc;
  let staffA: Client;
  let staffB: Client;
  const shared = { customerId: '', licenseId: '', lmid: '', browserB: null as Client | null };

  /**
   * The token of the `path` link mailed to `email`. The instances run their jobs every 200 ms, so a mail arrives
   * within a second; a timeout shows the outbox, what the receiver got and what both instances logged.
   */
  const mailedLink = async (email: string, path: string): Promise<string> => {
    try {
      return await waitFor(`the ${path} mail`, async () => receiver.linkFor(email, path));
    } catch (error) {
      const outbox = await db.query(
        'select id, status, attempts, claimed_by, claimed_until, created_at, sent_at, last_error from mail_outbox',
      );
      const got = receiver.received.map((m) => ({ to: m.to, subject: m.subject, text: m.text }));
      throw new Error(
        `${(error as Error).message}\noutbox ${JSON.stringify(outbox.rows)}\nreceived ${JSON.stringify(got)}\n` +
          `instance A:\n${a.output().slice(-3000)}\ninstance B:\n${b.output().slice(-3000)}`,
      );
    }
  };

  beforeAll(async () => {
    target = await createTestDatabase('postgres');
    dirB = mkdtempSync(join(tmpdir(), 'tessera-lc-b-'));
    receiver = new SmtpReceiver();
    await receiver.start();
    env = lcEnv(target.databaseUrl, { SMTP_URL: `smtp://127.0.0.1:${receiver.port}` });
    // Started together: both migrate and make sure of a signing key on the same empty database at once.
    [a, b] = await Promise.all([serveLc(target.dataDir, env), serveLc(dirB, env)]);
    const token = await createAdmin(target.dataDir, env, 'admin@vendor.example');
    staffA = new Client(a.url, token);
    staffB = new Client(b.url, token);
    db = new pg.Client({ connectionString: target.databaseUrl! });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    await killAll();
    await db?.end();
    await receiver?.stop();
    rmSync(dirB, { recursive: true, force: true });
    await target?.drop();
  });

  it('shows a write made on one instance on the other at once', async () => {
    const product = await staffA.post('/v1/staff/products', { slug: 'graphdb', name: 'GraphDB', roles: ['query', 'storage'] });
    expect(product.status).toBe(201);
    const customer = await staffB.post('/v1/staff/customers', { name: 'Acme' });
    expect(customer.status).toBe(201);
    const now = Date.now();
    const created = await staffA.post('/v1/staff/licenses', {
      customerId: customer.body.id,
      productId: product.body.id,
      nodes: { query: 2 },
      startsAt: now - DAY,
      expiresAt: now + 90 * DAY,
      mode: 'online',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const onB = await staffB.get(`/v1/staff/licenses/${id}`);
    expect(onB.status).toBe(200);
    expect(onB.body.basic).toMatchObject({ id, serial: 1, expiresAt: now + 90 * DAY });
    expect(onB.body.resources).toMatchObject({ product: { slug: 'graphdb' }, nodes: { query: 2 } });

    const renewed = await staffB.post(`/v1/staff/licenses/${id}/renew`, { months: 1 });
    expect(renewed.status).toBe(200);
    expect(renewed.body.serial).toBe(2);
    const onA = await staffA.get(`/v1/staff/licenses/${id}`);
    expect(onA.body.basic).toMatchObject({ serial: 2, expiresAt: renewed.body.expiresAt });
    expect((await staffA.get(`/v1/staff/customers/${customer.body.id}/licenses`)).body.items.map((c: any) => c.id)).toEqual([id]);
    Object.assign(shared, { customerId: customer.body.id, licenseId: id });
  });

  it('lets a customer who registered and logged in on one instance go on with the same session on the other', async () => {
    const email = 'owner@acme.example';
    expect((await staffA.post(`/v1/staff/customers/${shared.customerId}/invite`, { email })).status).toBe(202);
    const browserA = new Client(a.url);
    const setup = await mailedLink(email, 'setup');
    expect((await browserA.post('/v1/auth/register', { token: setup, name: 'Owner', password: PASSWORD })).status).toBe(201);
    const activation = await mailedLink(email, 'activate');
    expect((await new Client(b.url).post('/v1/auth/activate', { token: activation })).status).toBe(200);
    const login = await browserA.post('/v1/auth/login', { email, password: PASSWORD });
    expect(login.status).toBe(200);

    // The same cookie and CSRF token, sent to the other process.
    const browserB = new Client(b.url);
    browserB.cookie = browserA.cookie;
    browserB.csrf = browserA.csrf;
    const me = await browserB.get('/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ email, role: 'customer' });
    expect((await browserB.get('/v1/licenses')).body.items.map((c: any) => c.id)).toEqual([shared.licenseId]);
    const lm = makeLm();
    const bound = await browserB.post(`/v1/licenses/${shared.licenseId}/bind`, { lmid: lm.lmid });
    expect(bound.status).toBe(200);
    expect((await staffA.get(`/v1/staff/licenses/${shared.licenseId}`)).body.basic.lmid).toBe(bound.body.lmid);

    // Logging out on B ends the session on A too.
    expect((await browserB.post('/v1/auth/logout')).status).toBe(200);
    expect((await browserA.get('/v1/auth/me')).status).toBe(401);
    expect((await browserB.post('/v1/auth/login', { email, password: PASSWORD })).status).toBe(200);
    Object.assign(shared, { lmid: bound.body.lmid, browserB });
  }, 60_000);

  it('sends every queued mail exactly once although both instances run the delivery job', async () => {
    const invited = Array.from({ length: 10 }, (_, i) => `user${i}@acme.example`);
    for (const [i, email] of invited.entries()) {
      const staff = i % 2 === 0 ? staffA : staffB;
      expect((await staff.post(`/v1/staff/customers/${shared.customerId}/invite`, { email })).status).toBe(202);
    }
    await waitFor('every invitation at the receiver', async () => invited.every((e) => receiver.received.some((m) => m.to.includes(e))));
    // Then let the job run a few more times on the two instances: nothing more may arrive.
    const runs = new Set<number>();
    const arrived = Date.now();
    await waitFor('three more runs of the delivery job', async () => {
      const row = await db.query<{ last_run_at: string | null }>(`select last_run_at from jobs where name = 'mail-delivery'`);
      const last = Number(row.rows[0]?.last_run_at ?? 0);
      if (last > arrived) runs.add(last);
      return runs.size >= 3;
    });
    for (const email of invited) expect(receiver.received.filter((m) => m.to.includes(email))).toHaveLength(1);
    const ids = receiver.received.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    const outbox = await db.query<{ status: string; n: string }>('select status, count(*) as n from mail_outbox group by status');
    // Everything queued so far (invitations, activations) was sent, each mail once.
    expect(outbox.rows.map((r) => [r.status, Number(r.n)])).toEqual([['sent', receiver.received.length]]);
  }, 60_000);

  it('shares the signing key: one trust bundle, and what one instance signs verifies with the other’s bundle', async () => {
    const [trustA, trustB] = [await trustOf(a), await trustOf(b)];
    expect(trustA.text).toBe(trustB.text);
    expect(trustA.bundle.keys.size).toBe(1);
    expect((await staffA.get('/v1/staff/keys')).body.items.map((k: any) => k.state)).toEqual(['active']);

    expect((await staffB.put(`/v1/staff/licenses/${shared.licenseId}/mode`, { mode: 'offline' })).status).toBe(200);
    const browserA = new Client(a.url);
    browserA.cookie = shared.browserB!.cookie;
    const key = await browserA.get(`/v1/licenses/${shared.licenseId}/key`);
    expect(key.status).toBe(200);
    expect(key.body.mode).toBe('offline');
    const read = readLicense(key.body.key, trustB.bundle);
    expect(read.ok && read.value).toMatchObject({ id: shared.licenseId, lmid: shared.lmid, mode: 'offline', serial: 4 });

    // A rotation on B: both serve the new bundle at once, and A's next signature verifies with it.
    const rotated = await staffB.post('/v1/staff/keys/rotate');
    expect(rotated.status).toBe(201);
    const [afterA, afterB] = [await trustOf(a), await trustOf(b)];
    expect(afterA.text).toBe(afterB.text);
    expect([...afterB.bundle.keys.keys()]).toContain(rotated.body.kid);
    expect(afterB.bundle.keys.size).toBe(2);
    expect((await staffA.post(`/v1/staff/licenses/${shared.licenseId}/renew`, { months: 12 })).status).toBe(200);
    const renewedKey = await browserA.get(`/v1/licenses/${shared.licenseId}/key`);
    const reread = readLicense(renewedKey.body.key, afterB.bundle);
    expect(reread.ok && reread.value).toMatchObject({ id: shared.licenseId, serial: 5 });
  });
});

/** Expiry of the kill -9 licenses after `renews` one-month renewals (day 15: no month-end clamping). */
const expiryAfter = (renews: number) => Date.UTC(2031, renews, 15, 12);

interface Tally {
  attempted: number;
  renews: number;
  expands: number;
  serial: number;
  expiresAt: number;
}

describe.each(DIALECTS)('kill -9 of tessera-center during writes on %s', (dialect) => {
  let target: TestDatabase;
  let env: LcEnv;
  let token: string;
  let lc: RunningLc;
  const ctx = { customerId: '', productId: '' };
  const tallies = new Map<string, Tally>();
  const created: string[] = [];
  let attemptedCreates = 0;

  beforeAll(async () => {
    target = await createTestDatabase(dialect);
    env = lcEnv(target.databaseUrl);
    token = await createAdmin(target.dataDir, env, 'admin@vendor.example');
    lc = await serveLc(target.dataDir, env);
    const staff = new Client(lc.url, token);
    ctx.productId = (await staff.post('/v1/staff/products', { slug: 'graphdb', name: 'GraphDB', roles: ['query'] })).body.id;
    ctx.customerId = (await staff.post('/v1/staff/customers', { name: 'Acme' })).body.id;
    for (let i = 0; i < 4; i++) {
      const license = await staff.post('/v1/staff/licenses', newLicense());
      expect(license.status).toBe(201);
      tallies.set(license.body.id, { attempted: 0, renews: 0, expands: 0, serial: 1, expiresAt: expiryAfter(0) });
    }
  }, 120_000);

  afterAll(async () => {
    await killAll();
    await target?.drop();
  });

  const newLicense = () => ({
    customerId: ctx.customerId,
    productId: ctx.productId,
    nodes: { query: 2 },
    startsAt: Date.now() - DAY,
    expiresAt: expiryAfter(0),
    mode: 'online',
  });

  /**
   * Eight workers write without pause (creates, renewals, expansions of the four licenses) and record every
   * acknowledged answer; once `ackTarget` writes were acknowledged, the process is killed with writes in flight.
   */
  async function writeUntilKilled(staff: Client, ackTarget: number) {
    const ids = [...tallies.keys()];
    const stats = { acked: 0, failed: 0, inFlight: 0, inFlightAtKill: 0, refused: [] as string[] };
    let killed: Promise<void> | null = null;
    let n = 0;
    const worker = async () => {
      while (!killed) {
        const step = n++;
        const id = ids[Math.floor(step / 5) % ids.length]!;
        const tally = tallies.get(id)!;
        const op = step % 5 === 0 ? 'create' : step % 5 < 3 ? 'renew' : 'expand';
        if (op === 'create') attemptedCreates++;
        else tally.attempted++;
        const call =
          op === 'create'
            ? staff.post('/v1/staff/licenses', newLicense())
            : op === 'renew'
              ? staff.post(`/v1/staff/licenses/${id}/renew`, { months: 1 })
              : staff.post(`/v1/staff/licenses/${id}/expand`, { nodes: { query: 1 } });
        stats.inFlight++;
        const answer = await call.catch(() => null);
        stats.inFlight--;
        if (!answer) stats.failed++;
        else if (answer.status < 200 || answer.status > 299) stats.refused.push(`${answer.status} ${JSON.stringify(answer.body)}`);
        else {
          stats.acked++;
          if (op === 'create') created.push(answer.body.id);
          else {
            tally[op === 'renew' ? 'renews' : 'expands']++;
            tally.serial = Math.max(tally.serial, answer.body.serial);
            tally.expiresAt = Math.max(tally.expiresAt, answer.body.expiresAt);
          }
        }
        if (stats.acked >= ackTarget && !killed) {
          stats.inFlightAtKill = stats.inFlight;
          killed = lc.kill9();
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await killed;
    return stats;
  }

  /** Every acknowledged write is there, and each license's serial, seats and term tell the same story. */
  async function expectAcknowledgedWrites(staff: Client) {
    for (const [id, t] of tallies) {
      const details = await staff.get(`/v1/staff/licenses/${id}`);
      expect(details.status).toBe(200);
      const { serial, expiresAt } = details.body.basic as { serial: number; expiresAt: number };
      const expands = (details.body.resources.nodes.query as number) - 2;
      const renews = serial - 1 - expands;
      expect(expands).toBeGreaterThanOrEqual(t.expands);
      expect(renews).toBeGreaterThanOrEqual(t.renews);
      expect(serial).toBeGreaterThanOrEqual(t.serial);
      expect(serial).toBeLessThanOrEqual(1 + t.attempted);
      expect(expiresAt).toBeGreaterThanOrEqual(t.expiresAt);
      expect(expiresAt).toBe(expiryAfter(renews));
    }
    const listed = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await staff.get(`/v1/staff/customers/${ctx.customerId}/licenses?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      for (const card of page.body.items as { id: string }[]) listed.add(card.id);
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    for (const id of created) expect(listed.has(id), `acknowledged license ${id}`).toBe(true);
    expect(listed.size).toBeLessThanOrEqual(tallies.size + attemptedCreates);
  }

  it('keeps every acknowledged write through two kills, and comes back usable with an intact audit chain', async () => {
    let acked = 0;
    for (let round = 1; round <= 2; round++) {
      const stats = await writeUntilKilled(new Client(lc.url, token), 200);
      expect(stats.refused).toEqual([]);
      expect(stats.inFlightAtKill).toBeGreaterThan(0);
      acked += stats.acked;
      if (dialect === 'sqlite') expect(statSync(join(target.dataDir, 'tessera.db-wal')).size).toBeGreaterThan(0);
      lc = await serveLc(target.dataDir, env);
      await expectAcknowledgedWrites(new Client(lc.url, token));
    }
    const staff = new Client(lc.url, token);
    const verified = await staff.get('/v1/staff/audit/verify');
    expect(verified.body).toMatchObject({ ok: true });
    expect(verified.body.events).toBeGreaterThanOrEqual(acked);
    const cli = await runCli(target.dataDir, env, ['audit', 'verify']);
    expect(cli).toMatchObject({ status: 0, stdout: expect.stringMatching(/intact/) });

    const [id] = [...tallies.keys()];
    const before = (await staff.get(`/v1/staff/licenses/${id}`)).body.basic.serial as number;
    const renewed = await staff.post(`/v1/staff/licenses/${id}/renew`, { months: 1 });
    expect(renewed.status).toBe(200);
    expect(renewed.body.serial).toBe(before + 1);
    expect((await staff.post('/v1/staff/licenses', newLicense())).status).toBe(201);
    expect(await lc.stop()).toBe(0);
    // A clean stop checkpoints everything into the database file.
    if (dialect === 'sqlite') expect(existsSync(join(target.dataDir, 'tessera.db-wal'))).toBe(false);
  }, 90_000);
});
