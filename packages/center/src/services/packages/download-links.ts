/**
 * Signed download links: `/downloads/<packageId>?expires=<unix s>&sig=<b64url>`. The link alone authorises the
 * download (so `curl -O` works on a server without a session), for a few minutes. The signature is HMAC-SHA256
 * over a fixed purpose label, the package id and the expiry, under a key derived from the master key (never the
 * master key itself, which also seals the signing keys), so every instance with the same master key accepts it.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const KEY_INFO = 'tessera/download-links/v1';
const PURPOSE = 'tessera-download-v1';
const SIG = /^[A-Za-z0-9_-]{43}$/;
const EXPIRES = /^\d{1,12}$/;

export type LinkVerdict = 'valid' | 'expired' | 'invalid';

export class DownloadLinks {
  private readonly key: Buffer;

  constructor(masterKey: Uint8Array) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, new Uint8Array(0), KEY_INFO, 32));
  }

  /** The signature of a link to `packageId` that works until `expires` (unix seconds). */
  sign(packageId: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${PURPOSE}\n${packageId}\n${expires}`, 'utf8').digest('base64url');
  }

  /**
   * Checks the signature first (in constant time), then the expiry: an altered expiry is `invalid`, not
   * `expired`, and nothing about a link with a bad signature is revealed.
   */
  verify(packageId: string, expires: unknown, sig: unknown, nowMs: number): LinkVerdict {
    if (typeof expires !== 'string' || typeof sig !== 'string' || !EXPIRES.test(expires) || !SIG.test(sig)) return 'invalid';
    const expected = Buffer.from(this.sign(packageId, Number(expires)), 'utf8');
    const given = Buffer.from(sig, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return nowMs >= Number(expires) * 1000 ? 'expired' : 'valid';
  }
}
