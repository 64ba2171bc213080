/**
 * What the LC HTTP tests share: a running center (startCenter on port 0) on a fresh database of one dialect with
 * a movable clock, a browser-like client, links read from the delivered mails (.eml files in the outbox), and
 * ready-made logged-in customers and staff.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadCenterConfig } from '../../src/config.js';
import { startCenter } from '../../src/app.js';
import type { Center } from '../../src/app.js';
import type { JobTimers } from '../../src/jobs/scheduler.js';
import type { StaffRole } from '../../src/services/accounts/accounts.js';
import type { PasswordHasher } from '../../src/services/accounts/passwords.js';
import type { Dialect } from '../../src/db/connect.js';
import { checkingSerializer } from './answers.js';
import { createTestDatabase } from './databases.js';
import { linkIn as linkInMails, readMail } from './smtp.js';
import type { ReceivedMail } from './smtp.js';
import type { TestDatabase } from './databases.js';

export const PASSWORD = 'correct-Horse-42';

/** Job timers that never fire: the test runs each round of background jobs itself. */
export const NO_TIMER: JobTimers = { now: () => performance.now(), setTimeout: () => null, clearTimeout: () => {} };

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
  cookie: string | null;
  setCookie: string[];
}

/** A browser-like client: keeps the session cookie and sends the CSRF token on writes; or a bearer token. */
export class Client {
  cookie: string | null = null;
  csrf: string | null = null;
  constructor(
    readonly base: string,
    readonly bearer: string | null = null,
  ) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const write = method !== 'GET' && method !== 'HEAD';
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: `tessera_session=${this.cookie}` } : {}),
        ...(this.bearer ? { authorization: `Bearer ${this.bearer}` } : {}),
        ...(write && this.csrf ? { 'x-csrf-token': this.csrf } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const setCookie = response.headers.getSetCookie();
    const session = setCookie.map((c) => /^tessera_session=([^;]*)/.exec(c)?.[1]).find((v) => v !== undefined);
    if (session !== undefined) this.cookie = session || null;
    const raw = await response.text();
    let parsed: unknown = raw;
    try {
      parsed = raw ? JSON.parse(raw) : null;
    } catch {
      // not JSON (the /docs page): keep the text
    }
    const answer: Answer = { status: response.status, body: parsed, headers: response.headers, cookie: session ?? null, setCookie };
    if ((parsed as { csrfToken?: string } | null)?.csrfToken) this.csrf = (parsed as { csrfToken: string }).csrfToken;
    return answer;
  }

  get(path: string, headers?: Record<string, string>): Promise<Answer> {
    return this.call('GET', path, undefined, headers);
  }
  post(path: string, body: unknown = {}, headers?: Record<string, string>): Promise<Answer> {
    return this.call('POST', path, body, headers);
  }
  put(path: string, body: unknown = {}, headers?: Record<string, string>): Promise<Answer> {
    return this.call('PUT', path, body, headers);
  }
  delete(path: string, headers?: Record<string, string>): Promise<Answer> {
    return this.call('DELETE', path, undefined, headers);
  }
}

export interface TestCenter {
  center: Center;
  target: TestDatabase;
  clock: { t: number; now(): number };
  /** Every log line the center wrote (debug level, unredacted logger: secrets must never reach it at all). */
  log: string[];
  /** The token in the newest delivered mail to `to` with a link to `path` (setup, activate, reset, login). */
  linkIn(to: string, path: string): Promise<string>;
  /** A customer (a new company unless customerId is given) with a logged-in user. */
  customer(email: string, customerId?: string): Promise<{ client: Client; customerId: string; userId: string }>;
  /** A staff member of `role`, calling with an API token. */
  staff(email: string, role: StaffRole): Promise<{ client: Client; userId: string }>;
  close(): Promise<void>;
}

export async function startTestCenter(
  dialect: Dialect,
  env: Record<string, string> = {},
  start = Date.now() - 12 * 3_600_000,
  options: { passwords?: PasswordHasher } = {},
): Promise<TestCenter> {
  const target = await createTestDatabase(dialect);
  const loaded = loadCenterConfig(
    { data: target.dataDir, host: '127.0.0.1', port: '0' },
    { ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}), ...env },
  );
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  const log: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      log.push(String(chunk));
      done();
    },
  });
  const clock = { t: start, now: () => clock.t };
  // Background rounds run when a test says so (center.jobs.runOnce()), never on a timer behind its back.
  const center = await startCenter(loaded.config, {
    clock,
    logger: pino({ level: 'debug' }, sink),
    jobs: { timers: NO_TIMER },
    server: { serializerCompiler: checkingSerializer },
    ...(options.passwords ? { passwords: options.passwords } : {}),
  });
  const seen = new Set<string>();
  const inbox: ReceivedMail[] = [];

  const linkIn = async (to: string, path: string): Promise<string> => {
    await center.services.mail.deliver();
    const dir = join(target.dataDir, 'outbox');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.eml') && !seen.has(f))) {
      seen.add(file);
      inbox.push(await readMail(readFileSync(join(dir, file))));
    }
    const token = linkInMails(inbox, to, path);
    if (token === undefined) throw new Error(`no ${path} mail to ${to}`);
    return token;
  };

  const must = <T>(result: { ok: true; value: T } | { ok: false; detail: string }): T => {
    if (!result.ok) throw new Error(result.detail);
    return result.value;
  };

  return {
    center,
    target,
    clock,
    log,
    linkIn,
    async customer(email, customerId) {
      const { accounts, catalogue } = center.services;
      const id = customerId ?? must(await catalogue.createCustomer({ name: `Customer of ${email}` }, 'usr_test')).id;
      must(await accounts.inviteCustomer(id, email, 'usr_test'));
      const client = new Client(center.url);
      const registered = await client.post('/v1/auth/register', { token: await linkIn(email, 'setup'), name: email, password: PASSWORD });
      if (registered.status !== 201) throw new Error(`register: ${JSON.stringify(registered.body)}`);
      await client.post('/v1/auth/activate', { token: await linkIn(email, 'activate') });
      const login = await client.post('/v1/auth/login', { email, password: PASSWORD });
      if (login.status !== 200) throw new Error(`login: ${JSON.stringify(login.body)}`);
      return { client, customerId: id, userId: login.body.user.id as string };
    },
    async staff(email, role) {
      const created = must(await center.services.accounts.createStaff(email, role, 'usr_test', { apiToken: true }));
      return { client: new Client(center.url, created.apiToken!), userId: created.userId };
    },
    async close() {
      await center.close();
      await target.drop();
    },
  };
}

/** What the staff-side HTTP tests share: staff of every role (API tokens), a customer with a logged-in user, and a product. */
export interface StaffWorld {
  admin: Client;
  adminId: string;
  sales: Client;
  support: Client;
  customer: Client;
  customerId: string;
  customerUserId: string;
  /** graphdb: roles query and storage, limit remote_clusters, feature scan. */
  productId: string;
  /** A valid sale (POST /v1/staff/contracts body) of one query node to the customer; `change` replaces members. */
  sale(change?: Record<string, unknown>): Record<string, unknown>;
  /** The audit events about `subject`, newest first, each as { action, ...data }. */
  audited(subject: string): Promise<Record<string, unknown>[]>;
}

export async function staffWorld(tc: TestCenter): Promise<StaffWorld> {
  const { client: admin, userId: adminId } = await tc.staff('admin@vendor.example', 'admin');
  const sales = (await tc.staff('sales@vendor.example', 'sales')).client;
  const support = (await tc.staff('support@vendor.example', 'support')).client;
  const { client: customer, customerId, userId: customerUserId } = await tc.customer('buyer@acme.example');
  const product = await admin.post('/v1/staff/products', {
    slug: 'graphdb',
    name: 'Graph DB',
    roles: ['query', 'storage'],
    limits: ['remote_clusters'],
    features: ['scan'],
  });
  if (product.status !== 201) throw new Error(`product: ${JSON.stringify(product.body)}`);
  const productId = product.body.id as string;
  return {
    admin,
    adminId,
    sales,
    support,
    customer,
    customerId,
    customerUserId,
    productId,
    sale: (change = {}) => ({ customerId, productId, term: '1y', autoRenew: false, quantities: { query: 1 }, ...change }),
    audited: async (subject) => (await tc.center.services.audit.list({ subject })).map((e) => ({ action: e.action, ...e.data })),
  };
}
