/**
 * Regression for the two-instance test's lost setup mail (issue 12): with `serve --port 0` the public URL is
 * http://127.0.0.1:0, so a setup link's line is 74 characters and the mail goes out as 7bit; the receiver used to
 * decode "=XX" as quoted-printable in every mail, so a token beginning with two hex digits ("#token=12…", one
 * token in 16) became "#token\x12…" and the link was never found, although the mail had arrived. These mails go
 * through the License Center's own outbox and a real SMTP server, and each token must come back exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { MailOutbox } from '../src/services/mail/mail.js';
import { createTestDatabase } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';
import { SmtpReceiver } from './support/smtp.js';

describe('links in mails, as the test SMTP receiver reads them', () => {
  let target: TestDatabase;
  let handle: DatabaseHandle;
  let receiver: SmtpReceiver;
  let outbox: MailOutbox;

  beforeAll(async () => {
    target = await createTestDatabase('sqlite');
    handle = openDatabase({ databaseUrl: null, dataDir: target.dataDir });
    await migrateToLatest(handle.db as never, 'sqlite');
    receiver = new SmtpReceiver();
    await receiver.start();
    outbox = new MailOutbox({
      db: handle.db,
      dialect: handle.statements,
      settings: {
        smtp: { host: '127.0.0.1', port: receiver.port, secure: false, user: null, password: null },
        from: 'Tessera <licensing@vendor.example>',
        outboxDir: '',
        allowPlaintext: true,
      },
      clock: { now: () => Date.parse('2026-12-07T10:00:00Z') },
      instanceId: 'lc-test',
    });
  });
  afterAll(async () => {
    outbox.close();
    await receiver.stop();
    await handle.close();
    await target.drop();
  });

  // Tokens as newSecret() makes them (43 base64url characters), chosen to look like quoted-printable escapes.
  const tokens = [
    '12BN8h-YZvuwbVBDXyFVM6OhJ9LICXFoDeoMnXK5VeM',
    '3DAB8h-YZvuwbVBDXyFVM6OhJ9LICXFoDeoMnXK5VeM',
    'E9x_8h-YZvuwbVBDXyFVM6OhJ9LICXFoDeoMnXK5VeM',
  ];

  it.each([
    ['7bit (the setup link of an instance on port 0: a 74-character line)', 'http://127.0.0.1:0', 'setup'],
    ['quoted-printable (a line over 76 characters)', 'http://127.0.0.1:43210', 'activate'],
  ])('finds a token beginning with hex digits in a %s mail', async (_kind, publicUrl, path) => {
    for (const [i, token] of tokens.entries()) {
      const to = `user${i}-${path}@acme.example`;
      await outbox.enqueue({
        to,
        subject: 'Your link',
        text: `Choose your password here (the link works once):\n${publicUrl}/${path}#token=${token}\n`,
      });
    }
    expect(await outbox.deliver()).toMatchObject({ sent: tokens.length, failed: 0, retried: 0 });
    for (const [i, token] of tokens.entries()) expect(receiver.linkFor(`user${i}-${path}@acme.example`, path)).toBe(token);
  });
});
