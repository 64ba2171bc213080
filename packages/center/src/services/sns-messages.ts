/**
 * Amazon SNS HTTP(S) deliveries, verified as AWS documents: the signature (SignatureVersion 1: SHA1withRSA,
 * 2: SHA256withRSA) over the canonical "Name\nvalue\n" string of the type's fields, with the public key of the
 * certificate at SigningCertURL, fetched only from a trusted URL pattern and kept per URL. Nothing here acts
 * on a message; marketplace.ts does, once verified.
 */
import { verify, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { fail, ok } from '@tessera/core';
import type { Result } from '@tessera/core';

export type SnsType = 'SubscriptionConfirmation' | 'Notification' | 'UnsubscribeConfirmation';

export interface SnsMessage {
  Type: SnsType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  Token?: string;
  SubscribeURL?: string;
  UnsubscribeURL?: string;
}

/** The members SNS sends; anything else in a delivery is dropped when it is read (and is not signed). */
export const SNS_FIELDS = [
  'Type',
  'MessageId',
  'TopicArn',
  'Message',
  'Timestamp',
  'SignatureVersion',
  'Signature',
  'SigningCertURL',
  'Subject',
  'Token',
  'SubscribeURL',
  'UnsubscribeURL',
] as const;

/** The fields signed, in order, per message type (Subject only when present). */
const SIGNED: Record<SnsType, readonly (keyof SnsMessage)[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

const ALGORITHM: Record<string, string> = { '1': 'sha1', '2': 'sha256' };
const CERT_CACHE_SIZE = 20;
const FETCH_TIMEOUT_MS = 5_000;

/** The string SNS signs for a message. */
export function canonicalString(message: SnsMessage): string {
  let text = '';
  for (const name of SIGNED[message.Type]) {
    const value = message[name];
    if (value === undefined) continue;
    text += `${name}\n${value}\n`;
  }
  return text;
}

export class SnsVerifier {
  private readonly certUrlPattern: RegExp;
  private readonly keys = new Map<string, KeyObject>();

  constructor(options: { certUrlPattern: RegExp }) {
    this.certUrlPattern = options.certUrlPattern;
  }

  /** True when the URL may be fetched: a signing certificate or a SubscribeURL of SNS itself. */
  trusted(url: string): boolean {
    return this.certUrlPattern.test(url);
  }

  /** SIGNATURE_INVALID for any message SNS did not sign; BAD_REQUEST for a certificate URL that is not trusted. */
  async verify(message: SnsMessage): Promise<Result<SnsMessage>> {
    const algorithm = ALGORITHM[message.SignatureVersion];
    if (!algorithm) return fail('SIGNATURE_INVALID', `SignatureVersion ${message.SignatureVersion} is not 1 or 2.`);
    if (!SIGNED[message.Type]) return fail('BAD_REQUEST', `Type ${String(message.Type)} is not an SNS message type.`);
    if (!this.trusted(message.SigningCertURL))
      return fail('BAD_REQUEST', 'SigningCertURL is not a trusted SNS certificate address (TESSERA_SNS_CERT_URL_PATTERN).');
    const key = await this.keyAt(message.SigningCertURL);
    if (!key.ok) return key;
    const signature = Buffer.from(message.Signature, 'base64');
    const good = signature.length > 0 && verify(algorithm, Buffer.from(canonicalString(message), 'utf8'), key.value, signature);
    return good ? ok(message) : fail('SIGNATURE_INVALID', 'The SNS signature does not match the message.');
  }

  private async keyAt(url: string): Promise<Result<KeyObject>> {
    const cached = this.keys.get(url);
    if (cached) return ok(cached);
    let pem: string;
    try {
      const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!response.ok) return fail('INTERNAL', `The SNS signing certificate could not be fetched (HTTP ${response.status}).`);
      pem = await response.text();
    } catch {
      return fail('INTERNAL', 'The SNS signing certificate could not be fetched.');
    }
    let key: KeyObject;
    try {
      key = new X509Certificate(pem).publicKey;
    } catch {
      return fail('SIGNATURE_INVALID', 'SigningCertURL does not hold an X.509 certificate.');
    }
    if (this.keys.size >= CERT_CACHE_SIZE) this.keys.delete(this.keys.keys().next().value!);
    this.keys.set(url, key);
    return ok(key);
  }
}
