/**
 * The License Center's outgoing mail: queued in the database (in the same transaction as the change it reports)
 * and delivered by whichever instance claims it, so a mail is neither lost with a process nor sent twice by two.
 * Without an SMTP server configured (the quickstart), mails are written as .eml files to a folder instead.
 * Once a mail is sent, its stored text keeps no live secret (withoutSecrets); a mail not sent yet keeps them, as it
 * must still be delivered.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import type { DialectStatements } from '../../db/dialects/index.js';
import { createTransport } from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { Database, MailOutboxTable } from '../../db/schema.js';
import type { Clock } from '@tessera/core';
import { mailHtml } from './mail-html.js';

export interface MailSettings {
  smtp: { host: string; port: number; secure: boolean; user: string | null; password: string | null } | null;
  /** The From header when no brand is given. */
  from: string;
  /** Where mails go as .eml files when smtp is null. */
  outboxDir: string;
  /** Talk plain SMTP without STARTTLS even with a password (for a test receiver only). */
  allowPlaintext?: boolean;
}

/** The vendor's brand at sending time: the sender, and the signature under every mail's text. */
export interface MailBrand {
  from: string;
  name: string;
  supportEmail: string | null;
  /** #rrggbb, for the HTML part's bar. */
  accent: string;
}

export interface MailLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface MailOutboxOptions {
  db: Kysely<Database>;
  /** The database's own statements (its claims skip rows another instance holds). */
  dialect: DialectStatements;
  settings: MailSettings;
  clock: Clock;
  /** This process's name in claimed_by; unique per running instance. */
  instanceId: string;
  logger?: MailLogger;
  /** Read once a batch, so a change of the brand reaches the next mails sent, whatever instance sends them. */
  brand?: () => Promise<MailBrand>;
}

export interface DeliveryCounts {
  sent: number;
  /** given up on this round (MAX_ATTEMPTS reached): status failed */
  failed: number;
  /** failed this round, tried again later */
  retried: number;
}

export const MAX_ATTEMPTS = 5;
const DEFAULT_BATCH = 20;
const TIMEOUT_MS = 10_000;
/** How long a claimed batch is ours; an instance that dies mid-batch leaves its mails to others after this. */
const CLAIM_MS = 5 * 60_000;
/** No new send starts later than this before the claim runs out (a send is bounded by the SMTP timeouts). */
const SEND_BUDGET_MS = 60_000;
/** Wait before attempt n+1 after n failures: an SMTP outage of a few hours does not lose a mail. */
const RETRY_AFTER_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000];

type ClaimedMail = Pick<MailOutboxTable, 'id' | 'to_address' | 'subject' | 'text' | 'attempts' | 'created_at'>;

export class MailOutbox {
  private readonly db: Kysely<Database>;
  private readonly settings: MailSettings;
  private readonly clock: Clock;
  private readonly instanceId: string;
  private readonly logger: MailLogger | undefined;
  private readonly transport: Transporter;
  private readonly dialect: DialectStatements;
  private readonly brand: (() => Promise<MailBrand>) | undefined;
  private closed = false;

  constructor(options: MailOutboxOptions) {
    this.db = options.db;
    this.settings = options.settings;
    this.clock = options.clock;
    this.instanceId = options.instanceId;
    this.logger = options.logger;
    const smtp = options.settings.smtp;
    this.transport = smtp
      ? createTransport({
          host: smtp.host,
          port: smtp.port,
          secure: smtp.secure,
          ...(smtp.user !== null && smtp.password !== null ? { auth: { user: smtp.user, pass: smtp.password } } : {}),
          // A password only ever over TLS: implicit TLS with `secure`, otherwise STARTTLS is required. Certificates
          // are always verified (nodemailer's default; nothing here turns it off).
          ...(options.settings.allowPlaintext
            ? { ignoreTLS: true }
            : !smtp.secure && smtp.user !== null && smtp.password !== null
              ? { requireTLS: true }
              : {}),
          connectionTimeout: TIMEOUT_MS,
          greetingTimeout: TIMEOUT_MS,
          socketTimeout: TIMEOUT_MS,
          dnsTimeout: TIMEOUT_MS,
        })
      : // Builds the MIME message in memory; deliver() writes it to the outbox folder.
        createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    this.dialect = options.dialect;
    this.brand = options.brand;
  }

  /**
   * Queues a mail; with `trx` inside the caller's transaction, so the change and its mail commit (or roll back)
   * together. Returns the mail id.
   */
  async enqueue(mail: { to: string; subject: string; text: string }, trx?: Transaction<Database>): Promise<string> {
    const id = `mail_${randomBytes(12).toString('hex')}`;
    await (trx ?? this.db)
      .insertInto('mail_outbox')
      .values({
        id,
        to_address: mail.to,
        // A header cannot span lines; a subject built from user input must not inject headers either.
        subject: mail.subject.replace(/[\r\n]+/g, ' '),
        text: mail.text,
        status: 'pending',
        attempts: 0,
        claimed_by: null,
        claimed_until: null,
        created_at: this.clock.now(),
        sent_at: null,
        last_error: null,
      })
      .execute();
    return id;
  }

  /** Delivers up to `limit` due mails, oldest first; returns what happened. Never throws. */
  async deliver(limit = DEFAULT_BATCH): Promise<DeliveryCounts> {
    const counts: DeliveryCounts = { sent: 0, failed: 0, retried: 0 };
    if (this.closed) return counts;
    let batch: ClaimedMail[];
    const claimedAt = this.clock.now();
    try {
      batch = await this.claimBatch(claimedAt, limit);
    } catch (error) {
      this.logger?.warn({ error: describe(error, null) }, 'mail outbox could not be read; delivery is tried again later');
      return counts;
    }
    let brand: MailBrand | null = null;
    if (batch.length > 0 && this.brand) {
      try {
        brand = await this.brand();
      } catch (error) {
        this.logger?.warn({ error: describe(error, null) }, 'the brand could not be read; these mails go without it');
      }
    }
    for (let i = 0; i < batch.length; i++) {
      const mail = batch[i]!;
      if (this.closed || this.clock.now() > claimedAt + CLAIM_MS - SEND_BUDGET_MS) {
        await this.unclaim(batch.slice(i).map((m) => m.id));
        break;
      }
      let file: string | null;
      try {
        file = await this.send(mail, brand);
      } catch (error) {
        const outcome = await this.recordFailure(mail, describe(error, this.settings.smtp?.password ?? null));
        if (outcome) counts[outcome]++;
        continue;
      }
      try {
        await this.db
          .updateTable('mail_outbox')
          .set({
            status: 'sent',
            sent_at: this.clock.now(),
            claimed_by: null,
            claimed_until: null,
            last_error: null,
            // In the update that marks it sent: a copy of the database never holds a sent mail's working link.
            text: withoutSecrets(mail.text),
          })
          .where('id', '=', mail.id)
          .execute();
        counts.sent++;
      } catch (error) {
        // Sent but not recorded: the claim runs out and the mail goes again. Rare, and better than never.
        this.logger?.warn({ id: mail.id, error: describe(error, null) }, 'mail was sent but could not be marked sent');
      }
      // One line per mail that left (never its address, body or links), so "the mail never came" can be told
      // apart from "it came and was not read" by the log alone.
      const sent = { id: mail.id, subject: mail.subject, attempt: mail.attempts + 1 };
      if (file) this.logger?.info({ ...sent, file }, `mail written to the outbox folder: ${file}`);
      else this.logger?.info(sent, 'mail delivered');
    }
    return counts;
  }

  close(): void {
    this.closed = true;
    this.transport.close();
  }

  /**
   * Claims due mails in one statement. On PostgreSQL rows another instance is claiming are skipped (skip locked),
   * and the outer conditions are re-checked against a row that changed meanwhile; on SQLite the statement holds
   * the write lock throughout.
   */
  private async claimBatch(now: number, limit: number): Promise<ClaimedMail[]> {
    return this.db
      .updateTable('mail_outbox')
      .set({ claimed_by: this.instanceId, claimed_until: now + CLAIM_MS })
      .where((eb) =>
        eb(
          'id',
          'in',
          eb
            .selectFrom('mail_outbox')
            .select('id')
            .where('status', '=', 'pending')
            .where((w) => w.or([w('claimed_until', 'is', null), w('claimed_until', '<', now)]))
            .orderBy('created_at')
            .orderBy('id')
            .limit(limit)
            .$call((qb) => this.dialect.skipLocked(qb)),
        ),
      )
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .returning(['id', 'to_address', 'subject', 'text', 'attempts', 'created_at'])
      .execute()
      .then((rows) => rows.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1)));
  }

  /** Sends one mail through SMTP (null), or writes it to the outbox folder (its file). */
  private async send(mail: ClaimedMail, brand: MailBrand | null): Promise<string | null> {
    const from = brand?.from ?? this.settings.from;
    const message = {
      from,
      to: mail.to_address,
      subject: mail.subject,
      text: brand ? withSignature(mail.text, brand) : mail.text,
      ...(brand ? { html: mailHtml(mail.text, brand) } : {}),
      date: new Date(mail.created_at),
      // The same Message-ID on every attempt, so a receiver can drop a duplicate of a mail sent twice.
      messageId: `<${mail.id}@${domainOf(from)}>`,
      headers: { 'Auto-Submitted': 'auto-generated' },
    };
    const info: unknown = await this.transport.sendMail(message);
    if (this.settings.smtp) return null;
    return this.writeEml(mail, (info as { message: Buffer }).message);
  }

  /** Writes the mail as <created>-<id>.eml, readable by this user only: mails carry one-time links. */
  private async writeEml(mail: ClaimedMail, message: Buffer): Promise<string> {
    const dir = this.settings.outboxDir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${new Date(mail.created_at).toISOString().replace(/:/g, '-')}-${mail.id}.eml`);
    // Written whole then renamed, so a reader never sees half a mail; a second attempt overwrites the same name.
    const partial = `${file}.${this.instanceId.replace(/[^A-Za-z0-9_-]/g, '_')}.partial`;
    await writeFile(partial, message, { mode: 0o600 });
    await rename(partial, file);
    return file;
  }

  private async recordFailure(mail: ClaimedMail, error: string): Promise<'failed' | 'retried' | null> {
    const attempts = mail.attempts + 1;
    const givenUp = attempts >= MAX_ATTEMPTS;
    const retryAfter = RETRY_AFTER_MS[Math.min(attempts, RETRY_AFTER_MS.length) - 1]!;
    try {
      await this.db
        .updateTable('mail_outbox')
        .set({
          status: givenUp ? 'failed' : 'pending',
          attempts,
          last_error: error,
          // Unclaimed, but not due before the retry time: claimed_until doubles as "not before".
          claimed_by: null,
          claimed_until: givenUp ? null : this.clock.now() + retryAfter,
        })
        .where('id', '=', mail.id)
        // Only while still ours: had the claim run out and another instance sent it, its outcome stands.
        .where('claimed_by', '=', this.instanceId)
        .where('status', '=', 'pending')
        .execute();
    } catch (dbError) {
      this.logger?.warn({ id: mail.id, error: describe(dbError, null) }, 'a mail failure could not be recorded');
      return null;
    }
    this.logger?.warn(
      { id: mail.id, attempts, error },
      givenUp
        ? `mail could not be sent after ${attempts} attempts and is given up`
        : `mail could not be sent; it is tried again in ${Math.round(retryAfter / 60_000)} min`,
    );
    return givenUp ? 'failed' : 'retried';
  }

  private async unclaim(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.db
        .updateTable('mail_outbox')
        .set({ claimed_by: null, claimed_until: null })
        .where('id', 'in', ids)
        .where('claimed_by', '=', this.instanceId)
        .where('status', '=', 'pending')
        .execute();
    } catch {
      // The claim runs out by itself.
    }
  }
}

/** The text with the vendor's signature under it ("-- " is where mail readers see a signature begin). */
export function withSignature(text: string, brand: MailBrand): string {
  const support = brand.supportEmail ? `\nSupport: ${brand.supportEmail}` : '';
  return `${text.replace(/\n*$/, '')}\n\n-- \n${brand.name}${support}\n`;
}

const REMOVED = '[removed-once-sent]';

/**
 * A mail's text without the secrets links carry: one-time link tokens (`#token=…`, sessions.ts), download link
 * signatures (`sig=…`, download-links.ts) and API tokens (`tsk_…`).
 */
export function withoutSecrets(text: string): string {
  return text
    .replace(/#token=[^\s&]+/g, `#token=${REMOVED}`)
    .replace(/([?&]sig=)[^\s&#]+/g, `$1${REMOVED}`)
    .replace(/\btsk_[A-Za-z0-9_-]+/g, `tsk_${REMOVED}`);
}

function domainOf(address: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(address);
  return match?.[1] ?? 'tessera.invalid';
}

/** A one-line error for the log and last_error; the SMTP password is cut out in case a server echoes it. */
function describe(error: unknown, password: string | null): string {
  const err = error as { message?: unknown; code?: unknown };
  let text = typeof err?.message === 'string' ? err.message : String(error);
  if (typeof err?.code === 'string') text = `${err.code}: ${text}`;
  if (password) text = text.split(password).join('[redacted]');
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}
