import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerOptions } from 'smtp-server';
import { ManualClock } from '../clock.js';
import type { MailConfig } from '../config.js';
import { openStateDb } from '../state/db.js';
import { StateStore } from '../state/store.js';
import { Notifier } from './mailer.js';
import type { Notification } from './mailer.js';

const T0 = Date.parse('2026-11-24T12:00:00Z');
const DAY = 86_400_000;
const LMID = 'QPDH-7K2M-AB3C-XY9Z';

interface Received {
  from: string;
  to: string[];
  user: string | null;
  data: string;
}

interface Receiver {
  port: number;
  mails: Received[];
  authAttempts: number;
  close(): Promise<void>;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real SMTP server on loopback that keeps every message as raw text. */
async function receiver(options: Partial<SMTPServerOptions> = {}, port = 0): Promise<Receiver> {
  const mails: Received[] = [];
  const state = { authAttempts: 0 };
  const onAuth = options.onAuth;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    ...options,
    ...(onAuth
      ? {
          onAuth(auth, session, callback) {
            state.authAttempts++;
            onAuth(auth, session, callback);
          },
        }
      : {}),
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : null,
          data,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  cleanups.push(close);
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    get authAttempts() {
      return state.authAttempts;
    },
    close,
  };
}

function mailConfig(port: number, change: Partial<MailConfig> = {}): MailConfig {
  return {
    host: '127.0.0.1',
    port,
    secure: false,
    user: null,
    password: null,
    from: 'lm@customer.example',
    to: ['ops@customer.example', 'cto@customer.example'],
    ...change,
  };
}

function world(mail: MailConfig | null, options: { allowPlaintext?: boolean } = { allowPlaintext: true }) {
  const store = new StateStore(openStateDb(':memory:'));
  const clock = new ManualClock(T0);
  const logs: { level: string; obj: object; msg: string }[] = [];
  const logger = {
    warn: (obj: object, msg: string) => logs.push({ level: 'warn', obj, msg }),
    info: (obj: object, msg: string) => logs.push({ level: 'info', obj, msg }),
  };
  const make = () => {
    const notifier = new Notifier({ mail, store, clock, lmName: 'lm-1', lmid: LMID, logger, ...options });
    cleanups.push(() => notifier.close());
    return notifier;
  };
  cleanups.push(() => store.close());
  return { store, clock, logs, notifier: make(), make };
}

/** The Subject header unfolded and with RFC 2047 encoded words decoded (nodemailer encodes a subject with a quote in it). */
function subjectOf(mail: Received): string {
  const head = mail.data.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const raw = /^Subject: (.*)$/im.exec(head)?.[1] ?? '';
  return raw.replace(/\?=\s+=\?/g, '?==?').replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_all, encoding: string, text: string) =>
    encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(
          text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          'latin1',
        ).toString('utf8'),
  );
}
const expiring: Notification = {
  kind: 'Expiring',
  subject: 'License expiring in 12 days',
  text: 'The license lic_1 expires on 2026-12-06.',
};
const limit = (role: string): Notification => ({
  kind: 'LimitReached',
  scope: role,
  subject: `All 3 "${role}" seats are in use`,
  text: 'A node was refused.',
});

describe('Notifier through a real SMTP server', () => {
  it('sends a mail with the LM name in the subject, the LMID and what to do in the body, to every recipient', async () => {
    const smtp = await receiver();
    const { notifier, store } = world(mailConfig(smtp.port));
    expect(await notifier.notify(expiring)).toBe('sent');
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.from).toBe('lm@customer.example');
    expect(mail.to).toEqual(['ops@customer.example', 'cto@customer.example']);
    expect(subjectOf(mail)).toBe('[tessera-lm lm-1] License expiring in 12 days');
    expect(mail.data).toContain(`LMID: ${LMID}`);
    expect(mail.data).toContain('License Manager: lm-1');
    expect(mail.data).toContain('The license lic_1 expires on 2026-12-06.');
    expect(mail.data).toMatch(/What to do: Renew the license/);
    expect(store.lastNotified('Expiring')).toBe(T0);
  });

  it('suppresses a second mail of the same kind within 24 h, and sends again after 24 h', async () => {
    const smtp = await receiver();
    const { notifier, clock } = world(mailConfig(smtp.port));
    expect(await notifier.notify(expiring)).toBe('sent');
    clock.advance(DAY - 1);
    expect(await notifier.notify(expiring)).toBe('suppressed');
    expect(smtp.mails).toHaveLength(1);
    clock.advance(1);
    expect(await notifier.notify({ ...expiring, subject: 'License expiring in 11 days' })).toBe('sent');
    expect(smtp.mails.map(subjectOf)).toEqual([
      '[tessera-lm lm-1] License expiring in 12 days',
      '[tessera-lm lm-1] License expiring in 11 days',
    ]);
  });

  it('counts each kind on its own: Grace is sent the day Expiring was', async () => {
    const smtp = await receiver();
    const { notifier } = world(mailConfig(smtp.port));
    expect(await notifier.notify(expiring)).toBe('sent');
    expect(await notifier.notify({ kind: 'Grace', subject: 'License expired: in grace period', text: 'Grace.' })).toBe('sent');
    expect(smtp.mails).toHaveLength(2);
  });

  it('counts LimitReached per role', async () => {
    const smtp = await receiver();
    const { notifier, store } = world(mailConfig(smtp.port));
    expect(await notifier.notify(limit('query'))).toBe('sent');
    expect(await notifier.notify(limit('storage'))).toBe('sent');
    expect(await notifier.notify(limit('query'))).toBe('suppressed');
    expect(smtp.mails.map(subjectOf)).toEqual([
      '[tessera-lm lm-1] All 3 "query" seats are in use',
      '[tessera-lm lm-1] All 3 "storage" seats are in use',
    ]);
    expect(smtp.mails[0]!.data).toContain('Role: query');
    expect(store.lastNotified('LimitReached:query')).toBe(T0);
    expect(store.lastNotified('LimitReached:storage')).toBe(T0);
  });

  it('does not mail again after a restart within the day (the day is kept in the state store)', async () => {
    const smtp = await receiver();
    const { notifier, make, clock } = world(mailConfig(smtp.port));
    expect(await notifier.notify(expiring)).toBe('sent');
    notifier.close();
    clock.advance(3_600_000);
    const restarted = make();
    expect(await restarted.notify(expiring)).toBe('suppressed');
    expect(smtp.mails).toHaveLength(1);
  });

  it('sends one mail when the same kind is notified twice at once', async () => {
    const smtp = await receiver();
    const { notifier } = world(mailConfig(smtp.port));
    const outcomes = await Promise.all([notifier.notify(expiring), notifier.notify(expiring)]);
    expect(outcomes.sort()).toEqual(['sent', 'suppressed']);
    expect(smtp.mails).toHaveLength(1);
  });

  it('answers failed when the SMTP server is down, does not mark the kind, and sends at the next call once it is up', async () => {
    const port = await closedPort();
    const { notifier, store, logs } = world(mailConfig(port));
    expect(await notifier.notify(expiring)).toBe('failed');
    expect(store.lastNotified('Expiring')).toBeNull();
    expect(logs.find((l) => l.level === 'warn')?.obj).toMatchObject({ kind: 'Expiring', error: expect.stringMatching(/ECONNREFUSED/) });
    const smtp = await receiver({}, port);
    expect(await notifier.notify(expiring)).toBe('sent');
    expect(smtp.mails).toHaveLength(1);
  });

  it('answers disabled when no mail is configured', async () => {
    const { notifier, store } = world(null);
    expect(await notifier.notify(expiring)).toBe('disabled');
    expect(store.lastNotified('Expiring')).toBeNull();
  });

  it('answers disabled after close instead of throwing', async () => {
    const smtp = await receiver();
    const { notifier } = world(mailConfig(smtp.port));
    notifier.close();
    expect(await notifier.notify(expiring)).toBe('disabled');
    expect(smtp.mails).toHaveLength(0);
  });
});

describe('Notifier with SMTP authentication', () => {
  const authServer = () =>
    receiver({
      authOptional: false,
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth(auth, _session, callback) {
        if (auth.username === 'lm-mailer' && auth.password === 's3cret-Pa55') callback(null, { user: auth.username });
        else callback(new Error('Invalid username or password'));
      },
    });

  it('logs in with the configured user and password and sends', async () => {
    const smtp = await authServer();
    const { notifier } = world(mailConfig(smtp.port, { user: 'lm-mailer', password: 's3cret-Pa55' }));
    expect(await notifier.notify(expiring)).toBe('sent');
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.user).toBe('lm-mailer');
  });

  it('fails with a wrong password and never writes the password to the log', async () => {
    const smtp = await authServer();
    const { notifier, logs, store } = world(mailConfig(smtp.port, { user: 'lm-mailer', password: 'wrong-Pa55word' }));
    expect(await notifier.notify(expiring)).toBe('failed');
    expect(smtp.mails).toHaveLength(0);
    expect(store.lastNotified('Expiring')).toBeNull();
    expect(logs.some((l) => l.level === 'warn')).toBe(true);
    expect(JSON.stringify(logs)).not.toContain('wrong-Pa55word');
  });

  it('without allowPlaintext, refuses to send a password to a server that offers no TLS', async () => {
    const smtp = await authServer();
    const { notifier, logs } = world(mailConfig(smtp.port, { user: 'lm-mailer', password: 's3cret-Pa55' }), {});
    expect(await notifier.notify(expiring)).toBe('failed');
    expect(logs.find((l) => l.level === 'warn')?.obj).toMatchObject({ error: expect.stringMatching(/STARTTLS/) });
    expect(smtp.authAttempts).toBe(0);
    expect(smtp.mails).toHaveLength(0);
  });
});

/** A loopback port nothing listens on (taken from the OS, then freed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
