import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { MailOutbox } from '../src/services/mail/mail.js';
import type { MailSettings } from '../src/services/mail/mail.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import { readMail } from './support/smtp.js';
import type { TestDatabase } from './support/databases.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const HOUR = 3_600_000;

interface Received {
  to: string[];
  subject: string;
  data: string;
}

/** A real SMTP receiver on loopback (plain SMTP, no STARTTLS), recording what it accepts. */
class Receiver {
  readonly received: Received[] = [];
  authAttempts = 0;
  private server: SMTPServer | null = null;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onAuth: (_auth, _session, callback) => {
        this.authAttempts++;
        callback(null, { user: 'x' });
      },
      onData: (stream, session, callback) => {
        let data = '';
        stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
        stream.on('end', () => {
          const subject = /^Subject: (.*)$/m.exec(data)?.[1]?.trim() ?? '';
          this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), subject, data });
          callback();
        });
      },
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function collectingLogger() {
  const lines: { level: 'info' | 'warn'; obj: object; msg: string }[] = [];
  return {
    lines,
    info: (obj: object, msg: string) => lines.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj, msg }),
  };
}

describe.each(DIALECTS)('mail outbox on %s', (dialect) => {
  let target: TestDatabase;
  // Two handles, as two License Center processes would have (two connection pools on PostgreSQL).
  let first: DatabaseHandle;
  let second: DatabaseHandle;
  let clock: { t: number; now(): number };
  let receiver: Receiver;
  let outboxes: MailOutbox[];

  const smtpSettings = (port: number, extra: Partial<MailSettings> = {}): MailSettings => ({
    smtp: { host: '127.0.0.1', port, secure: false, user: null, password: null },
    from: 'Tessera <licensing@vendor.example>',
    outboxDir: join(target.dataDir, 'outbox'),
    allowPlaintext: true,
    ...extra,
  });
  const outbox = (
    settings: MailSettings,
    options: { db?: DatabaseHandle; instanceId?: string; logger?: ReturnType<typeof collectingLogger> } = {},
  ) => {
    const made = new MailOutbox({
      db: (options.db ?? first).db,
      dialect: (options.db ?? first).statements,
      settings,
      clock,
      instanceId: options.instanceId ?? 'lc-1',
      ...(options.logger ? { logger: options.logger } : {}),
    });
    outboxes.push(made);
    return made;
  };
  const rows = () => first.db.selectFrom('mail_outbox').selectAll().orderBy('created_at').orderBy('id').execute();

  beforeAll(async () => {
    target = await createTestDatabase(dialect);
    first = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
    await migrateToLatest(first.db as never, dialect);
    second = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    await target.drop();
  });
  beforeEach(async () => {
    clock = { t: T0, now: () => clock.t };
    outboxes = [];
    receiver = new Receiver();
    await receiver.start();
    await first.db.deleteFrom('mail_outbox').execute();
  });
  afterEach(async () => {
    for (const o of outboxes) o.close();
    await receiver.stop();
  });

  it('delivers queued mails through SMTP and marks them sent, one log line each', async () => {
    const logger = collectingLogger();
    const mail = outbox(smtpSettings(receiver.port), { logger });
    const ids = [];
    for (const n of [1, 2, 3]) {
      ids.push(await mail.enqueue({ to: `user${n}@customer.example`, subject: `Welcome ${n}`, text: `Hello ${n}` }));
      clock.t += 1;
    }
    expect(ids.every((id) => /^mail_[0-9a-f]{24}$/.test(id))).toBe(true);
    expect((await rows()).map((r) => r.status)).toEqual(['pending', 'pending', 'pending']);

    clock.t += 1_000;
    expect(await mail.deliver()).toEqual({ sent: 3, failed: 0, retried: 0 });
    expect(receiver.received.map((m) => [m.to, m.subject])).toEqual([
      [['user1@customer.example'], 'Welcome 1'],
      [['user2@customer.example'], 'Welcome 2'],
      [['user3@customer.example'], 'Welcome 3'],
    ]);
    expect(receiver.received[0]!.data).toMatch(/^From: Tessera <licensing@vendor\.example>$/m);
    expect(receiver.received[0]!.data).toContain(`Message-ID: <${ids[0]}@vendor.example>`);
    expect(receiver.received[0]!.data).toContain('Hello 1');
    const after = await rows();
    expect(after.map((r) => [r.id, r.status, r.sent_at, r.claimed_by])).toEqual(ids.map((id) => [id, 'sent', T0 + 1_003, null]));
    // The log says which mail left, on which attempt: never its address or text.
    expect(logger.lines).toEqual(
      ids.map((id, i) => ({ level: 'info', obj: { id, subject: `Welcome ${i + 1}`, attempt: 1 }, msg: 'mail delivered' })),
    );

    // Nothing left to do: a second round sends nothing again.
    expect(await mail.deliver()).toEqual({ sent: 0, failed: 0, retried: 0 });
    expect(receiver.received).toHaveLength(3);
  });

  it('sends each mail exactly once when two instances deliver at the same time', async () => {
    const a = outbox(smtpSettings(receiver.port), { db: first, instanceId: 'lc-a' });
    const b = outbox(smtpSettings(receiver.port), { db: second, instanceId: 'lc-b' });
    // Three queues of 20 in turn: each overlap of claims is a chance for a double send to show.
    for (const queue of [1, 2, 3]) {
      receiver.received.length = 0;
      for (let n = 0; n < 20; n++) await a.enqueue({ to: `u${n}@customer.example`, subject: `Mail ${queue}-${n}`, text: `Body ${n}` });
      const totals = { sent: 0, failed: 0, retried: 0 };
      // Small batches and several calls per instance at once, so claims overlap as much as they can.
      for (let round = 0; round < 20 && totals.sent < 20; round++) {
        const calls = [a, b, a, b, a, b].map((o) => o.deliver(2));
        for (const counts of await Promise.all(calls)) {
          totals.sent += counts.sent;
          totals.failed += counts.failed;
          totals.retried += counts.retried;
        }
      }
      expect(totals, `queue ${queue}`).toEqual({ sent: 20, failed: 0, retried: 0 });
      const subjects = receiver.received.map((m) => m.subject).sort((x, y) => Number(x.split('-')[1]) - Number(y.split('-')[1]));
      expect(subjects, `queue ${queue}`).toEqual(Array.from({ length: 20 }, (_, n) => `Mail ${queue}-${n}`));
    }
    expect((await rows()).map((r) => r.status)).toEqual(Array<string>(60).fill('sent'));
  });

  it('keeps a mail when the SMTP server is down and sends it once the server is back', async () => {
    const port = receiver.port;
    await receiver.stop(); // nothing listens on the port now
    const logger = collectingLogger();
    const mail = outbox(smtpSettings(port), { logger });
    const id = await mail.enqueue({
      to: 'ops@customer.example',
      subject: 'Reset your password',
      text: 'https://lc.example/reset#secret-token',
    });

    expect(await mail.deliver()).toEqual({ sent: 0, failed: 0, retried: 1 });
    let row = (await rows())[0]!;
    expect(row).toMatchObject({ id, status: 'pending', attempts: 1, sent_at: null, claimed_by: null });
    expect(row.last_error).toMatch(/ECONNREFUSED|ECONNECTION/);
    expect(JSON.stringify(logger.lines)).not.toContain('secret-token');

    // Not retried before its back-off has passed, even with the server back.
    receiver = new Receiver();
    await receiver.start(port);
    expect(await mail.deliver()).toEqual({ sent: 0, failed: 0, retried: 0 });
    clock.t += 60_001;
    expect(await mail.deliver()).toEqual({ sent: 1, failed: 0, retried: 0 });
    expect(receiver.received.map((m) => m.to)).toEqual([['ops@customer.example']]);
    row = (await rows())[0]!;
    expect(row).toMatchObject({ status: 'sent', attempts: 1, sent_at: clock.t, last_error: null });
    expect(logger.lines.filter((l) => l.level === 'info')).toEqual([
      { level: 'info', obj: { id, subject: 'Reset your password', attempt: 2 }, msg: 'mail delivered' },
    ]);
  });

  it('gives a mail up after 5 failed attempts', async () => {
    const port = receiver.port;
    await receiver.stop();
    const mail = outbox(smtpSettings(port));
    await mail.enqueue({ to: 'ops@customer.example', subject: 'Renewal', text: 'Your license renews soon.' });
    for (let attempt = 1; attempt <= 4; attempt++) {
      expect(await mail.deliver(), `attempt ${attempt}`).toEqual({ sent: 0, failed: 0, retried: 1 });
      expect((await rows())[0]).toMatchObject({ status: 'pending', attempts: attempt });
      clock.t += 3 * HOUR;
    }
    expect(await mail.deliver()).toEqual({ sent: 0, failed: 1, retried: 0 });
    expect((await rows())[0]).toMatchObject({ status: 'failed', attempts: 5, sent_at: null, claimed_until: null });
    expect((await rows())[0]!.last_error).toMatch(/ECONNREFUSED|ECONNECTION/);

    receiver = new Receiver();
    await receiver.start(port);
    clock.t += 24 * HOUR;
    expect(await mail.deliver()).toEqual({ sent: 0, failed: 0, retried: 0 });
    expect(receiver.received).toHaveLength(0);
  });

  it('never sends a password without TLS: with a user and password, a server without STARTTLS is refused', async () => {
    const mail = outbox(
      smtpSettings(receiver.port, {
        allowPlaintext: false,
        smtp: { host: '127.0.0.1', port: receiver.port, secure: false, user: 'lc', password: 'hunter2-smtp' },
      }),
    );
    await mail.enqueue({ to: 'ops@customer.example', subject: 'Hello', text: 'Hello' });
    expect(await mail.deliver()).toEqual({ sent: 0, failed: 0, retried: 1 });
    expect(receiver.authAttempts).toBe(0);
    expect(receiver.received).toHaveLength(0);
    const row = (await rows())[0]!;
    expect(row.last_error).toMatch(/STARTTLS/i);
    expect(row.last_error).not.toContain('hunter2-smtp');
  });

  it('writes mails as .eml files to the outbox folder when no SMTP server is configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-outbox-'));
    const outboxDir = join(dir, 'mail', 'outbox');
    try {
      const logger = collectingLogger();
      const mail = outbox({ smtp: null, from: 'licensing@vendor.example', outboxDir }, { logger });
      const first = await mail.enqueue({
        to: 'admin@vendor.example',
        subject: 'Set up your account',
        text: 'Open https://lc.example/setup#one-time-secret',
      });
      clock.t += 1_500;
      const second = await mail.enqueue({
        to: 'user@customer.example',
        subject: 'Activate',
        text: 'Open https://lc.example/activate#another-secret',
      });
      expect(await mail.deliver()).toEqual({ sent: 2, failed: 0, retried: 0 });

      expect(statSync(outboxDir).mode & 0o777).toBe(0o700);
      const files = readdirSync(outboxDir).sort();
      expect(files).toEqual([`2026-03-01T10-00-00.000Z-${first}.eml`, `2026-03-01T10-00-01.500Z-${second}.eml`]);
      const path = join(outboxDir, files[0]!);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const eml = readFileSync(path, 'utf8');
      const [head, body] = eml.split('\r\n\r\n', 2) as [string, string];
      expect(head).toMatch(/^To: admin@vendor\.example$/m);
      expect(head).toMatch(/^Subject: Set up your account$/m);
      expect(head).toMatch(/^From: licensing@vendor\.example$/m);
      expect(head).toMatch(/^MIME-Version: 1\.0$/m);
      expect(head).toMatch(/^Date: .*2026/m);
      expect(body).toContain('https://lc.example/setup#one-time-secret');

      // The log names each file, and never carries a mail's text (it holds one-time links).
      const infos = logger.lines.filter((l) => l.level === 'info');
      expect(infos.map((l) => l.obj)).toEqual([
        { id: first, subject: 'Set up your account', attempt: 1, file: join(outboxDir, files[0]!) },
        { id: second, subject: 'Activate', attempt: 1, file: join(outboxDir, files[1]!) },
      ]);
      expect(infos[0]!.msg).toBe(`mail written to the outbox folder: ${path}`);
      expect(JSON.stringify(logger.lines)).not.toMatch(/secret/);
      expect((await rows()).map((r) => r.status)).toEqual(['sent', 'sent']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('queues a mail inside the caller transaction: a rollback leaves nothing queued, a commit queues it', async () => {
    const mail = outbox(smtpSettings(receiver.port));
    await expect(
      first.db.transaction().execute(async (trx) => {
        await trx.insertInto('customers').values({ id: 'cus_mail1', name: 'Acme', created_at: T0 }).execute();
        await mail.enqueue({ to: 'a@acme.example', subject: 'Welcome', text: 'Welcome' }, trx);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await rows()).toEqual([]);

    const id = await first.db.transaction().execute(async (trx) => {
      await trx.insertInto('customers').values({ id: 'cus_mail2', name: 'Acme', created_at: T0 }).execute();
      return mail.enqueue({ to: 'a@acme.example', subject: 'Welcome', text: 'Welcome' }, trx);
    });
    expect((await rows()).map((r) => r.id)).toEqual([id]);
    expect(await mail.deliver()).toEqual({ sent: 1, failed: 0, retried: 0 });
  });

  it("keeps no live secret in a sent mail's stored text; a mail not sent keeps its links, to deliver them", async () => {
    const text = [
      'Choose your password: https://lc.example/setup#token=Qm9vbXRva2VuMTIzNDU2Nzg5MDEy_-x',
      'Download: https://lc.example/downloads/pkg_1?expires=1900000000&sig=c2lnbmF0dXJlLWZvci10aGUtbGluaw',
      'API token: tsk_dG9rZW4tZm9yLWF1dG9tYXRpb24',
      'Your license: https://lc.example/licenses/lic_1#downloads',
    ].join('\n');
    const mail = outbox(smtpSettings(receiver.port));
    const sent = await mail.enqueue({ to: 'ada@customer.example', subject: 'Links', text });
    expect(await mail.deliver()).toEqual({ sent: 1, failed: 0, retried: 0 });
    // Delivered whole...
    expect((await readMail(Buffer.from(receiver.received[0]!.data))).text.trim()).toBe(text);
    // ...and stored without its secrets, in the update that marked it sent.
    expect((await rows()).find((r) => r.id === sent)).toMatchObject({
      status: 'sent',
      text: [
        'Choose your password: https://lc.example/setup#token=[removed-once-sent]',
        'Download: https://lc.example/downloads/pkg_1?expires=1900000000&sig=[removed-once-sent]',
        'API token: tsk_[removed-once-sent]',
        'Your license: https://lc.example/licenses/lic_1#downloads',
      ].join('\n'),
    });

    // Not sent (the server is down), then given up: the text stays as it was, every time.
    await receiver.stop();
    const unsent = await mail.enqueue({ to: 'bob@customer.example', subject: 'Links', text });
    for (let attempt = 1; attempt <= 5; attempt++) {
      await mail.deliver();
      expect((await rows()).find((r) => r.id === unsent)).toMatchObject({ status: attempt < 5 ? 'pending' : 'failed', text });
      clock.t += 3 * HOUR;
    }
  });

  it('keeps a subject on one header line', async () => {
    const mail = outbox(smtpSettings(receiver.port));
    await mail.enqueue({ to: 'a@acme.example', subject: 'Hello\r\nBcc: victim@example.com', text: 'x' });
    expect(await mail.deliver()).toEqual({ sent: 1, failed: 0, retried: 0 });
    expect(receiver.received[0]!.to).toEqual(['a@acme.example']);
    expect(receiver.received[0]!.data).not.toMatch(/^Bcc:/m);
  });
});
