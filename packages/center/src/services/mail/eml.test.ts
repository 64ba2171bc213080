import fc from 'fast-check';
import { createTransport } from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { decodeQuotedPrintable, parseEml } from './eml.js';

// The outbox folder's files are what nodemailer's stream transport makes; these are read back exactly.
const transport = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
async function eml(mail: { subject: string; text: string; html?: string }): Promise<string> {
  const info: unknown = await transport.sendMail({
    from: 'Vendor <licensing@vendor.example>',
    to: 'ann@customer.example',
    messageId: '<m1@vendor.example>',
    ...mail,
  });
  return (info as { message: Buffer }).message.toString('utf8');
}

describe('parseEml', () => {
  it('joins a quoted-printable link split over lines and decodes its "=3D"', async () => {
    const link = `https://lc.example/setup#token=${'a1B2c3'.repeat(20)}`;
    const source = await eml({ subject: 'Set up your account — Tessera', text: `Hello Ann,\n\nOpen ${link} to start.\n` });
    expect(source).toContain('=3D');
    const mail = parseEml(source);
    expect(mail).toMatchObject({
      from: 'Vendor <licensing@vendor.example>',
      to: 'ann@customer.example',
      subject: 'Set up your account — Tessera',
      messageId: '<m1@vendor.example>',
    });
    expect(mail.text).toContain(`Open ${link} to start.`);
  });

  it('reads the text part of a multipart/alternative mail', async () => {
    const mail = parseEml(await eml({ subject: 'Hi', text: 'plain words', html: '<p>html words</p>' }));
    expect(mail.text).toBe('plain words');
  });

  it('gives back any text and subject as they were sent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => s.replace(/\r/g, '')),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).map((s) => s.replace(/[\r\n]/g, ' ').trim() || 'x'),
        async (text, subject) => {
          const mail = parseEml(await eml({ subject, text }));
          // A 7bit body always ends with a line break (nodemailer adds one), so "a" and "a\n" read back alike.
          expect(mail.text.replace(/\n$/, '')).toBe(text.replace(/\n$/, ''));
          expect(mail.subject).toBe(subject);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('leaves a lone "=" that is not an escape as it is', () => {
    expect(decodeQuotedPrintable('a=zz b=3D c=\r\nd')).toBe('a=zz b= cd');
  });
});
