/**
 * A real SMTP receiver on loopback for the License Center's tests, recording every message it accepts as a MIME
 * parser reads it. The parser matters: a mail of short lines goes out as 7bit and a mail with a long line as
 * quoted-printable, so decoding "=XX" without looking at the Content-Transfer-Encoding turns a 7bit link's
 * "#token=12…" into "#token\x12…" (the two-instance test lost one setup mail in 16 that way).
 */
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  messageId: string;
  subject: string;
  /** The text body, decoded as its Content-Transfer-Encoding says. */
  text: string;
}

/** Plain SMTP (no STARTTLS, no AUTH). */
export class SmtpReceiver {
  readonly received: ReceivedMail[] = [];
  private server: SMTPServer | null = null;
  port = 0;

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // No reverse DNS of the client: a sandbox without a resolver would stall every connection.
      disableReverseLookup: true,
      onData: (stream, session, callback) => {
        readMail(
          stream,
          session.envelope.rcptTo.map((r) => r.address),
        ).then(
          (mail) => {
            this.received.push(mail);
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.server.address() as AddressInfo).port;
  }

  /** The token of the newest mail to `to` with a link to `path` (setup, activate, …), or undefined. */
  linkFor(to: string, path: string): string | undefined {
    return linkIn(this.received, to, path);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A whole message (a stream at the receiver, an .eml file of the outbox folder), as a MIME parser reads it. */
export async function readMail(source: Readable | Buffer, envelopeTo?: string[]): Promise<ReceivedMail> {
  const mail = await simpleParser(source);
  const headerTo = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((list) => list.value.map((a) => a.address ?? ''));
  return { to: envelopeTo ?? headerTo, messageId: mail.messageId ?? '', subject: mail.subject ?? '', text: mail.text ?? '' };
}

/** The token of the newest of `mails` to `to` with a `/path#token=` link. */
export function linkIn(mails: readonly ReceivedMail[], to: string, path: string): string | undefined {
  for (const mail of [...mails].reverse()) {
    const match = new RegExp(`/${path}#token=([A-Za-z0-9_-]+)`).exec(mail.text);
    if (mail.to.includes(to) && match) return match[1]!;
  }
  return undefined;
}
