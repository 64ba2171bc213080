/**
 * Amazon SNS HTTP(S) deliveries, verified as AWS documents: the signature (SignatureVersion 2: SHA256withRSA;
 * 1: SHA1withRSA only when allowed) over the canonical "Name\nvalue\n" string of the type's fields, with the public
 * key of the certificate at SigningCertURL, kept per URL. A certificate is fetched only from SNS itself:
 * https://sns.<region>.amazonaws.com (or .amazonaws.com.cn, AWS's China regions) with the path
 * /SimpleNotificationService-<hex>.pem, and the URL must match the configured pattern as well; the origin of a
 * configured AWS endpoint (a test server, a private endpoint), whose answers are trusted already, counts as SNS.
 * Nothing here acts on a message; marketplace.ts does, once verified.
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
const SNS_HOST = /^sns\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com(\.cn)?$/;
const CERT_PATH = /^\/SimpleNotificationService-[0-9a-fA-F]{1,128}\.pem$/;

export interface SnsTrust {
  /** Every fetched URL must match this too (TESSERA_SNS_CERT_URL_PATTERN); it can narrow, never widen. */
  certUrlPattern: RegExp;
  /** The configured AWS endpoint (TESSERA_AWS_ENDPOINT), whose origin counts as SNS's own; null: AWS's. */
  endpoint: string | null;
  /** Accept SignatureVersion 1 (SHA1withRSA); version 2 always. */
  allowSha1: boolean;
}

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
  private readonly trust: SnsTrust;
  private readonly endpointOrigin: string | null;
  private readonly keys = new Map<string, KeyObject>();

  constructor(trust: SnsTrust) {
    this.trust = trust;
    this.endpointOrigin = trust.endpoint === null ? null : (urlOf(trust.endpoint)?.origin ?? null);
  }

  /** True when `text` may be fetched as a signing certificate: SNS's own .pem (see above). */
  trustedCertUrl(text: string): boolean {
    const url = urlOf(text);
    return url !== null && this.fromSns(url, text) && CERT_PATH.test(url.pathname) && url.search === '';
  }

  /** True when `text` may be visited to confirm a subscription: SNS's own ConfirmSubscription action. */
  trustedSubscribeUrl(text: string): boolean {
    const url = urlOf(text);
    return url !== null && this.fromSns(url, text) && url.pathname === '/' && url.searchParams.get('Action') === 'ConfirmSubscription';
  }

  /** SIGNATURE_INVALID for any message SNS did not sign (or signed with SHA1 when that is not allowed); BAD_REQUEST for a certificate URL that is not SNS's. */
  async verify(message: SnsMessage): Promise<Result<SnsMessage>> {
    const algorithm = ALGORITHM[message.SignatureVersion];
    if (!algorithm) return fail('SIGNATURE_INVALID', `SignatureVersion ${message.SignatureVersion} is not 1 or 2.`);
    if (algorithm === 'sha1' && !this.trust.allowSha1)
      return fail(
        'SIGNATURE_INVALID',
        'SignatureVersion 1 (SHA1) is not accepted: set the topic to SignatureVersion 2, or allow SHA1 with TESSERA_SNS_ALLOW_SHA1=true.',
      );
    if (!SIGNED[message.Type]) return fail('BAD_REQUEST', `Type ${String(message.Type)} is not an SNS message type.`);
    if (!this.trustedCertUrl(message.SigningCertURL))
      return fail(
        'BAD_REQUEST',
        'SigningCertURL is not an SNS signing certificate (https://sns.<region>.amazonaws.com/SimpleNotificationService-<hex>.pem matching TESSERA_SNS_CERT_URL_PATTERN).',
      );
    const key = await this.keyAt(message.SigningCertURL);
    if (!key.ok) return key;
    const signature = Buffer.from(message.Signature, 'base64');
    const good = signature.length > 0 && verify(algorithm, Buffer.from(canonicalString(message), 'utf8'), key.value, signature);
    return good ? ok(message) : fail('SIGNATURE_INVALID', 'The SNS signature does not match the message.');
  }

  /** https on an SNS host, or the configured endpoint's origin; no user or port tricks; and the configured pattern. */
  private fromSns(url: URL, text: string): boolean {
    if (url.username !== '' || url.password !== '' || url.hash !== '' || !this.trust.certUrlPattern.test(text)) return false;
    if (this.endpointOrigin !== null && url.origin === this.endpointOrigin) return true;
    return url.protocol === 'https:' && url.port === '' && SNS_HOST.test(url.hostname);
  }

  private async keyAt(url: string): Promise<Result<KeyObject>> {
    const cached = this.keys.get(url);
    if (cached) return ok(cached);
    let pem: string;
    try {
      const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!response.ok) return fail('AWS_UNREACHABLE', `The SNS signing certificate could not be fetched (HTTP ${response.status}).`);
      pem = await response.text();
    } catch {
      return fail('AWS_UNREACHABLE', 'The SNS signing certificate could not be fetched.');
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

function urlOf(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
