import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { MailOutbox } from '../src/services/mail/mail.js';
import { createTestDatabase } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';
import { readMail } from './support/smtp.js';

const BIN = fileURLToPath(new URL('../../../node_modules/.bin/tessera-center', import.meta.url));

// The command reads files only; SQLite just queues the mails the outbox writes, as `serve` does without SMTP.
describe('tessera-center mail list|show', () => {
  let target: TestDatabase;
  let handle: DatabaseHandle;
  const ids: string[] = [];
  const link = `http://127.0.0.1:8080/setup#token=${'Zq9_x-'.repeat(12)}`;
  const run = (...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_MASTER_KEY: '' };
    delete env.DATABASE_URL;
    delete env.SMTP_URL;
    const result = spawnSync(BIN, ['--data', target.dataDir, ...args], { encoding: 'utf8', env, timeout: 30_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  beforeAll(async () => {
    target = await createTestDatabase('sqlite');
    handle = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
    await migrateToLatest(handle.db as never, 'sqlite');
    const clock = { t: Date.parse('2026-03-01T10:00:00Z'), now: () => clock.t };
    const outbox = new MailOutbox({
      db: handle.db,
      dialect: handle.statements,
      settings: { smtp: null, from: 'Tessera License Center <licensing@127.0.0.1>', outboxDir: `${target.dataDir}/outbox` },
      clock,
      instanceId: 'lc-test',
    });
    ids.push(
      await outbox.enqueue({
        to: 'admin@vendor.example',
        subject: 'Set up your account — Tessera',
        text: `Hello,\n\nOpen ${link} to choose a password.\n`,
      }),
    );
    clock.t += 1_000;
    ids.push(await outbox.enqueue({ to: 'ann@customer.example', subject: 'Your license changed', text: 'Two more query nodes.\n' }));
    expect(await outbox.deliver()).toMatchObject({ sent: 2 });
    outbox.close();
  });
  afterAll(async () => {
    await handle.close();
    await target.drop();
  });

  it('lists the outbox folder oldest first, with ids, dates, addresses and decoded subjects', () => {
    const list = run('mail', 'list');
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(`^${ids[0]}  .*2026.*  to admin@vendor\\.example\\n    Set up your account — Tessera\\n${ids[1]}  `),
    );
    expect(list.stdout).toMatch(/2 mails; read one with: tessera-center mail show <id>/);
    const json = JSON.parse(run('--json', 'mail', 'list', '--to', 'ann@customer.example').stdout);
    expect(json).toEqual([expect.objectContaining({ id: ids[1], to: 'ann@customer.example', subject: 'Your license changed' })]);
    expect(json[0].text).toBeUndefined();
  });

  it('shows a mail with its link whole, as a MIME reader decodes the file', async () => {
    const shown = run('mail', 'show', ids[0]!);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^From: {4}Tessera License Center <licensing@127\.0\.0\.1>\nTo: {6}admin@vendor\.example\n/);
    expect(shown.stdout).toContain('Subject: Set up your account — Tessera\n');
    // The file itself splits and escapes the link (quoted-printable); the command prints it as one line.
    const file = /^File: +(.+)$/m.exec(shown.stdout)![1]!;
    expect(readFileSync(file, 'utf8')).not.toContain(link);
    expect(shown.stdout).toContain(`\nOpen ${link} to choose a password.\n`);
    expect(shown.stdout).toContain((await readMail(readFileSync(file))).text.trim());
  });

  it('shows the newest mail, or the newest to an address, without an id', () => {
    expect(run('mail', 'show').stdout).toContain('Two more query nodes.');
    expect(run('mail', 'show', '--to', 'admin@vendor.example').stdout).toContain(link);
  });

  it('says which mail is missing, with exit code 1 and no stack trace', () => {
    const missing = run('mail', 'show', 'mail_0000');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`tessera-center: No mail mail_0000 in ${target.dataDir}/outbox; see tessera-center mail list.\n`);
  });
});
