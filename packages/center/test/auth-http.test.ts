/**
 * /v1/auth over real HTTP (startCenter on port 0) on each dialect: the customer's and the staff's flows, their
 * errors, and the security cases (no session, CSRF, throttling, nothing secret in the log).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Center } from '../src/app.js';
import { ARGON2, PasswordHasher } from '../src/services/accounts/passwords.js';
import { DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';
import { Client, PASSWORD, startTestCenter } from './support/http.js';
import type { TestCenter } from './support/http.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe.each(DIALECTS)('/v1/auth over HTTP on %s', (dialect) => {
  let tc: TestCenter;
  let target: TestDatabase;
  let center: Center;
  let customerId: string;
  let clock: TestCenter['clock'];
  let log: string[];
  let linkIn: TestCenter['linkIn'];
  /** Real argon2 that waits while `held` is set: a test holds the hasher's one slot with it. */
  let held: Promise<void> | null = null;
  const hasher = new PasswordHasher(
    { concurrency: 1, queue: 1 },
    {
      hash: async (password) => (await held, ARGON2.hash(password)),
      verify: async (stored, password) => (await held, ARGON2.verify(stored, password)),
    },
  );

  const invite = async (email: string) => {
    const invited = await center.services.accounts.inviteCustomer(customerId, email, 'staff:test');
    if (!invited.ok) throw new Error(invited.detail);
    return linkIn(email, 'setup');
  };
  /** Invite → register → activate: a logged-out client of an active customer account. */
  const customer = async (email: string): Promise<Client> => {
    const client = new Client(center.url);
    expect((await client.post('/v1/auth/register', { token: await invite(email), name: 'Ada', password: PASSWORD })).status).toBe(201);
    expect((await client.post('/v1/auth/activate', { token: await linkIn(email, 'activate') })).status).toBe(200);
    return client;
  };

  beforeAll(async () => {
    // Behind the real time (the default), as the staff CLI (a separate process) makes its links on the system clock.
    // The log is everything at debug level and unredacted: the test shows secrets never reach the logger at all.
    tc = await startTestCenter(dialect, {}, undefined, { passwords: hasher });
    ({ target, center, clock, log, linkIn } = tc);
    const created = await center.services.catalogue.createCustomer({ name: 'Acme' }, 'staff:test');
    if (!created.ok) throw new Error(created.detail);
    customerId = created.value.id;
  });
  beforeEach(() => {
    // A fresh throttle window for every test (throttling counts per address, and every call here is from 127.0.0.1).
    clock.t += 20 * 60_000;
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('invite → register → activation mail → activate → login → /me → logout', async () => {
    const client = new Client(center.url);
    const registered = await client.post('/v1/auth/register', { token: await invite('ada@example.com'), name: 'Ada', password: PASSWORD });
    expect(registered).toMatchObject({ status: 201, body: { userId: expect.stringMatching(/^usr_/), status: 'pending' } });
    expect((await client.post('/v1/auth/login', { email: 'ada@example.com', password: PASSWORD })).status).toBe(401);
    expect((await client.post('/v1/auth/activate', { token: await linkIn('ada@example.com', 'activate') })).body).toMatchObject({
      status: 'active',
    });
    const login = await client.post('/v1/auth/login', { email: 'ada@example.com', password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ user: { email: 'ada@example.com', role: 'customer', customerId }, csrfToken: expect.any(String) });
    const cookie = login.setCookie.find((c) => c.startsWith('tessera_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/); // the public URL here is http
    const me = await client.call('GET', '/v1/auth/me');
    expect(me).toMatchObject({
      status: 200,
      body: { user: { email: 'ada@example.com' }, via: 'session', csrfToken: login.body.csrfToken },
    });
    const sessionId = client.cookie!;
    expect((await client.post('/v1/auth/logout')).status).toBe(200);
    expect(client.cookie).toBeNull();
    client.cookie = sessionId; // the old cookie is dead on the server too
    expect((await client.call('GET', '/v1/auth/me')).status).toBe(401);
  });

  it('resets a password by mail; an unknown email gets the same 200', async () => {
    const client = await customer('reset@example.com');
    const unknown = await client.post('/v1/auth/reset-request', { email: 'nobody@example.com' });
    const known = await client.post('/v1/auth/reset-request', { email: 'reset@example.com' });
    expect(unknown.status).toBe(200);
    expect(known.status).toBe(200);
    expect(unknown.body.message).toBe(known.body.message);
    const token = await linkIn('reset@example.com', 'reset');
    expect(await client.post('/v1/auth/reset', { token, password: 'abcdefghijklmnop' })).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: expect.stringMatching(/has no digit and no special character/) } },
    });
    expect((await client.post('/v1/auth/reset', { token, password: 'new-Password-77' })).status).toBe(200);
    expect(await client.post('/v1/auth/reset', { token, password: 'new-Password-78' })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/used already/) } },
    });
    expect((await client.post('/v1/auth/login', { email: 'reset@example.com', password: PASSWORD })).status).toBe(401);
    expect((await client.post('/v1/auth/login', { email: 'reset@example.com', password: 'new-Password-77' })).status).toBe(200);
  });

  it('answers bad input and bad links with 400 and the error shape', async () => {
    const client = new Client(center.url);
    const setup = await invite('errors@example.com');
    const weak = await client.post('/v1/auth/register', { token: setup, name: 'E', password: 'short' });
    expect(weak).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^The password is 5 characters long/), requestId: /^req_/ } },
    });
    expect((await client.post('/v1/auth/register', { token: setup, name: 'E' })).status).toBe(400);
    expect((await client.post('/v1/auth/activate', { token: 'nope' })).body.error.message).toMatch(/not valid/);
    expect((await client.post('/v1/auth/login-link', { token: 'nope' })).status).toBe(400);
    const wrong = await client.post('/v1/auth/login', { email: 'errors@example.com', password: PASSWORD });
    const unknown = await client.post('/v1/auth/login', { email: 'nobody@example.com', password: PASSWORD });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    expect(unknown.body.error.message).toBe(wrong.body.error.message);
  });

  it('staff: create (CLI) → login link → API token → a bearer call without CSRF; customers cannot make tokens', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_MASTER_KEY: '' };
    delete env.DATABASE_URL;
    if (target.databaseUrl) env.DATABASE_URL = target.databaseUrl;
    const cli = spawnSync(
      join(ROOT, 'node_modules/.bin/tsx'),
      [
        '--conditions',
        '@tessera/source',
        join(ROOT, 'packages/center/src/cli/main.ts'),
        '--data',
        target.dataDir,
        'staff',
        'create',
        '--email',
        'Ops@Example.com',
        '--role',
        'admin',
        '--api-token',
      ],
      { encoding: 'utf8', env, timeout: 30_000 },
    );
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/^Created admin usr_\w+ \(ops@example.com\)\./);
    const loginToken = /\/login-link#token=([A-Za-z0-9_-]{43})/.exec(cli.stdout)![1]!;
    const cliApiToken = /^\s+(tsk_[A-Za-z0-9_-]{43})$/m.exec(cli.stdout)![1]!;
    // The CLI refuses a role that does not exist.
    const bad = spawnSync(
      join(ROOT, 'node_modules/.bin/tsx'),
      [
        '--conditions',
        '@tessera/source',
        join(ROOT, 'packages/center/src/cli/main.ts'),
        '--data',
        target.dataDir,
        'staff',
        'create',
        '--email',
        'x@example.com',
        '--role',
        'boss',
      ],
      { encoding: 'utf8', env },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--role must be one of admin, sales, support/);

    const staff = new Client(center.url);
    const login = await staff.post('/v1/auth/login-link', { token: loginToken });
    expect(login).toMatchObject({ status: 200, body: { user: { email: 'ops@example.com', role: 'admin', customerId: null } } });
    expect((await staff.post('/v1/auth/login-link', { token: loginToken })).status).toBe(400);
    const made = await staff.post('/v1/auth/tokens', { label: 'ci' });
    expect(made).toMatchObject({ status: 201, body: { token: expect.stringMatching(/^tsk_/) } });

    for (const token of [made.body.token, cliApiToken]) {
      const bearer = new Client(center.url);
      const me = await bearer.call('GET', '/v1/auth/me', undefined, { authorization: `Bearer ${token}` });
      expect(me).toMatchObject({ status: 200, body: { user: { role: 'admin' }, via: 'token', csrfToken: null } });
      // A write with a token needs no CSRF header.
      const write = await bearer.call('POST', '/v1/auth/tokens', { label: 'from ci' }, { authorization: `Bearer ${token}` });
      expect(write.status).toBe(201);
    }
    expect((await new Client(center.url).call('GET', '/v1/auth/me', undefined, { authorization: 'Bearer tsk_nope' })).status).toBe(401);

    const client = await customer('customer-no-tokens@example.com');
    await client.post('/v1/auth/login', { email: 'customer-no-tokens@example.com', password: PASSWORD });
    expect(await client.post('/v1/auth/tokens', { label: 'mine' })).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
  });

  it('answers 401 without a session, and 403 to a cookie write without the right CSRF token', async () => {
    const anonymous = new Client(center.url);
    expect(await anonymous.call('GET', '/v1/auth/me')).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    expect((await anonymous.post('/v1/auth/tokens', { label: 'x' })).status).toBe(401);
    const client = await customer('csrf@example.com');
    await client.post('/v1/auth/login', { email: 'csrf@example.com', password: PASSWORD });
    const csrf = client.csrf!;
    client.csrf = null;
    const missing = await client.post('/v1/auth/logout');
    expect(missing).toMatchObject({
      status: 403,
      body: { error: { code: 'CSRF_TOKEN_INVALID', message: expect.stringMatching(/x-csrf-token/) } },
    });
    expect(
      (await client.post('/v1/auth/logout', {}, { 'x-csrf-token': csrf.slice(0, -1) + (csrf.endsWith('A') ? 'B' : 'A') })).status,
    ).toBe(403);
    expect((await client.call('GET', '/v1/auth/me')).status).toBe(200); // the session survived both attempts
    expect((await client.post('/v1/auth/logout', {}, { 'x-csrf-token': csrf })).status).toBe(200);
  });

  it('throttles: the 6th login of an account after 5 wrong passwords is 429 even with the right one', async () => {
    const client = await customer('throttle@example.com');
    for (let i = 0; i < 5; i++) {
      expect((await client.post('/v1/auth/login', { email: 'throttle@example.com', password: `wrong-Password-${i}` })).status).toBe(401);
    }
    expect(await client.post('/v1/auth/login', { email: 'throttle@example.com', password: PASSWORD })).toMatchObject({
      status: 429,
      body: { error: { code: 'RATE_LIMITED' } },
    });
    clock.t += 16 * 60_000;
    expect((await client.post('/v1/auth/login', { email: 'throttle@example.com', password: PASSWORD })).status).toBe(200);
  });

  it('throttles an address: after 20 failed logins, and after 30 link or reset attempts, in 15 minutes', async () => {
    const client = await customer('address@example.com');
    for (let i = 0; i < 20; i++) {
      expect((await client.post('/v1/auth/login', { email: `someone${i}@example.com`, password: PASSWORD })).status).toBe(401);
    }
    expect((await client.post('/v1/auth/login', { email: 'address@example.com', password: PASSWORD })).status).toBe(429);
    clock.t += 16 * 60_000;
    const answers: number[] = [];
    for (let i = 0; i < 31; i++) answers.push((await client.post('/v1/auth/reset-request', { email: `someone${i}@example.com` })).status);
    expect(answers.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(answers[30]).toBe(429);
    expect((await client.post('/v1/auth/activate', { token: 'x' })).status).toBe(429);
  });

  it('answers 429 RATE_LIMITED at once, hashing nothing, while password hashing is at its cap (one running, one waiting)', async () => {
    await customer('busy@example.com');
    let release = () => {};
    held = new Promise<void>((resolve) => (release = resolve));
    try {
      const first = new Client(center.url).post('/v1/auth/login', { email: 'busy@example.com', password: PASSWORD });
      await vi.waitFor(() => expect(hasher.load).toEqual({ running: 1, waiting: 0 }));
      const second = new Client(center.url).post('/v1/auth/login', { email: 'busy@example.com', password: 'wrong-Password-1' });
      await vi.waitFor(() => expect(hasher.load).toEqual({ running: 1, waiting: 1 }));
      const refused = await new Client(center.url).post('/v1/auth/login', { email: 'busy@example.com', password: PASSWORD });
      expect(refused).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED', message: expect.stringMatching(/busy/) } } });
      const register = await new Client(center.url).post('/v1/auth/register', {
        token: await invite('busy2@example.com'),
        name: 'B',
        password: PASSWORD,
      });
      expect(register).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
      expect(hasher.load).toEqual({ running: 1, waiting: 1 });
      release();
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(401);
    } finally {
      held = null;
      release();
    }
  });

  it('never hands a password, a session id, a CSRF token or an API token to the logger', async () => {
    const secret = 'unique-Secret-981';
    const client = await customer('logs@example.com');
    await client.post('/v1/auth/login', { email: 'logs@example.com', password: secret });
    await client.post('/v1/auth/reset-request', { email: 'logs@example.com' });
    const token = await linkIn('logs@example.com', 'reset');
    await client.post('/v1/auth/reset', { token, password: secret });
    const login = await client.post('/v1/auth/login', { email: 'logs@example.com', password: secret });
    expect(login.status).toBe(200);
    await client.call('GET', '/v1/auth/me');
    const text = log.join('');
    expect(text).toContain('/v1/auth/login'); // the log did capture the requests
    for (const value of [secret, PASSWORD, token, client.cookie!, client.csrf!]) expect(text).not.toContain(value);
  });
});
