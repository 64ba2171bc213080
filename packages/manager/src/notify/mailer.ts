/**
 * Mail alerts from the License Manager (the seed product's Notify.Mail): at most one mail per kind a day, and for
 * LimitReached one per role a day. The day is remembered in the state store, so a restart does not mail again.
 */
import { createTransport } from 'nodemailer';
import type { SMTPSentMessageInfo, SMTPTransportOptions, Transporter } from 'nodemailer';
import type { Clock } from '@tessera/core';
import { lmTitle } from '../config.js';
import type { MailConfig } from '../config.js';
import type { LmStore } from '../state/store.js';

export type NotificationKind = 'Expiring' | 'Grace' | 'Expired' | 'Invalid' | 'LimitReached';

export interface Notification {
  kind: NotificationKind;
  subject: string;
  text: string;
  /** for LimitReached: the role, so each role counts as its own kind */
  scope?: string;
}

export type NotifyOutcome = 'sent' | 'suppressed' | 'disabled' | 'failed';

export interface NotifierLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface NotifierOptions {
  mail: MailConfig | null;
  store: LmStore;
  clock: Clock;
  lmName: string;
  lmid: string;
  logger?: NotifierLogger;
  /**
   * Talk plain SMTP without STARTTLS, even with a password (for a test receiver). Without it a password is only
   * ever sent over TLS: implicit TLS with `secure`, otherwise STARTTLS is required.
   */
  allowPlaintext?: boolean;
}

const DAY_MS = 86_400_000;
const TIMEOUT_MS = 10_000;

/** What the person reading the mail should do; the mail's own text says what happened. */
const ADVICE: Record<NotificationKind, string> = {
  Expiring:
    'Renew the license before it expires. With an online key this License Manager picks up the renewal at its next sync ' +
    '(or run `tessera-lm sync`); with an offline key, load the new key with `tessera-lm load --key <key>` or on the console page.',
  Grace:
    'The license has expired and is running on its grace days: seats are still granted, but only until they end. ' +
    'Renew now, then sync (online key) or load the new key (offline key).',
  Expired:
    'New seats are refused and leases are not renewed, so product nodes stop as their leases run out. ' +
    'Renew the license, then sync (online key) or load the new key (offline key).',
  Invalid:
    'The loaded license cannot be used on this License Manager. Run `tessera-lm info` to see the code, ' +
    'then load a correct key; if the LMID changed (the License Manager moved hosts), ask your vendor to rebind the license.',
  LimitReached:
    'Every seat of this role is taken, so new nodes are refused. Stop a node you no longer need, ' +
    'or ask your vendor for more nodes and load the new license.',
};

export class Notifier {
  private readonly transport: Transporter<SMTPSentMessageInfo, SMTPTransportOptions> | null;
  /** Keys with a send under way: the status watcher ticks faster than a slow SMTP server answers. */
  private readonly sending = new Set<string>();
  private closed = false;

  constructor(private readonly options: NotifierOptions) {
    const mail = options.mail;
    this.transport = mail ? createTransport(transportOptions(mail, options.allowPlaintext ?? false)) : null;
  }

  /** Sends unless a mail of the same kind (and scope) went out in the last 24 h; returns what happened. Never throws. */
  async notify(n: Notification): Promise<NotifyOutcome> {
    const { mail, store, clock } = this.options;
    if (!mail || !this.transport || this.closed) return 'disabled';
    const key = n.scope ? `${n.kind}:${n.scope}` : n.kind;
    if (this.sending.has(key)) return 'suppressed';
    this.sending.add(key);
    try {
      const last = await store.lastNotified(key);
      // Absolute difference: a clock set back must not silence a kind for as long as it was set back.
      if (last !== null && Math.abs(clock.now() - last) < DAY_MS) return 'suppressed';
      await this.transport.sendMail({
        from: mail.from,
        to: mail.to,
        subject: this.subjectOf(n),
        text: this.bodyOf(n),
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
      await store.markNotified(key, clock.now());
      this.options.logger?.info({ kind: n.kind, scope: n.scope ?? null, to: mail.to }, `notification mail sent: ${n.subject}`);
      return 'sent';
    } catch (error) {
      this.options.logger?.warn(
        { kind: n.kind, scope: n.scope ?? null, smtp: `${mail.host}:${mail.port}`, error: describe(error, mail.password) },
        'notification mail could not be sent; it is tried again at the next occasion',
      );
      return 'failed';
    } finally {
      this.sending.delete(key);
    }
  }

  close(): void {
    this.closed = true;
    this.transport?.close();
  }

  private subjectOf(n: Notification): string {
    return `[${lmTitle(this.options.lmName)}] ${n.subject}`.replace(/\s+/g, ' ');
  }

  private bodyOf(n: Notification): string {
    const { lmName, lmid, clock } = this.options;
    return [
      n.text,
      '',
      `What to do: ${ADVICE[n.kind]}`,
      '',
      `License Manager: ${lmName}`,
      `LMID: ${lmid}`,
      ...(n.scope ? [`Role: ${n.scope}`] : []),
      `Time: ${new Date(clock.now()).toISOString()}`,
      '',
      'You get at most one mail of this kind a day while the condition lasts.',
      '',
    ].join('\n');
  }
}

function transportOptions(mail: MailConfig, allowPlaintext: boolean): SMTPTransportOptions {
  return {
    host: mail.host,
    port: mail.port,
    secure: mail.secure,
    ...(mail.user !== null ? { auth: { user: mail.user, pass: mail.password ?? '' } } : {}),
    // Never a password in clear text: STARTTLS is required when there is one, unless a test asked for plaintext.
    ...(allowPlaintext ? { ignoreTLS: true } : !mail.secure && mail.user !== null ? { requireTLS: true } : {}),
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
    dnsTimeout: TIMEOUT_MS,
  };
}

/** A one-line error for the log; the password is cut out in case a server echoes it back. */
function describe(error: unknown, password: string | null): string {
  const err = error as { message?: unknown; code?: unknown; responseCode?: unknown };
  let text = typeof err?.message === 'string' ? err.message : String(error);
  if (typeof err?.code === 'string') text = `${err.code}: ${text}`;
  if (password) text = text.split(password).join('[redacted]');
  return text.replace(/\s+/g, ' ').trim();
}
