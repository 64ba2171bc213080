/**
 * Regression tests for what the fuzz soak (npm run fuzz) found; each was a real defect before its fix.
 */
import { describe, expect, it } from 'vitest';
import {
  createRequestCode,
  deriveLmid,
  encodeBase64Url,
  fingerprintDigest,
  frameDocument,
  issueLicense,
  parseLmid,
  parseTrustBundle,
  readLicense,
  readRequestCode,
  sha256,
} from '../src/index.js';
import { isSmallOrderPoint, publicKeyFromRaw } from '../src/crypto.js';
import { makeLm, makeWorld, unwrap } from './helpers.js';

const { vendor, trust, input } = makeWorld();

function line(typ: string, payload: object, signature = 'A'.repeat(86)): string {
  return frameDocument(typ, Buffer.from(JSON.stringify(payload)).toString('base64url'), signature);
}

describe('fuzz findings', () => {
  it('a value whose toString is not callable never crashes a reader', () => {
    const evil = { toString: 1 };
    expect(readLicense(line('license', { v: 1, kid: 'k1', typ: evil }), trust)).toMatchObject({ ok: false, code: 'MALFORMED' });
    const lm = makeLm();
    const request = line('request', {
      v: 1,
      kid: lm.lmid,
      typ: 'request',
      lmid: lm.lmid,
      lmPublicKey: 'x',
      host: { fingerprintDigest: 'x', hostname: '', os: '', lmVersion: '' },
      contact: { name: 'a', email: 'a@b.c', phone: '' },
      product: null,
      nodes: { q: 1 },
      limits: {},
      features: [evil],
      months: 1,
      createdAt: '2026-01-01T00:00:00Z',
    });
    expect(readRequestCode(request)).toMatchObject({ ok: false, code: 'MALFORMED' });
    for (const bundle of [
      { v: evil },
      { v: 1, keys: [{ kid: 'k', alg: evil }] },
      { v: 1, keys: [{ kid: 'k', alg: 'Ed25519', state: evil }] },
    ]) {
      expect(parseTrustBundle(JSON.stringify({ format: 'tessera-trust-bundle', ...bundle }))).toMatchObject({ ok: false });
    }
  });

  it('a length prefix with leading zeros is refused: one document has one text', () => {
    const key = unwrap(issueLicense(input, vendor));
    const padded = key.replace(/^tessera-license:(\d+)\./, (_m, n: string) => `tessera-license:0${Number(n) + 1}.`);
    expect(readLicense(padded, trust)).toMatchObject({ ok: false, code: 'MALFORMED' });
  });

  it('a request code "signed" with a small-order public key is refused', () => {
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    expect(isSmallOrderPoint(identity)).toBe(true);
    expect(publicKeyFromRaw(identity)).toBeNull();
    const highBit = Buffer.from(identity);
    highBit[31] = 0x80;
    expect(publicKeyFromRaw(highBit)).toBeNull();

    const hostDigest = fingerprintDigest('any');
    const lmid = deriveLmid(identity, hostDigest);
    const body = {
      v: 1,
      kid: lmid,
      typ: 'request',
      lmid,
      lmPublicKey: encodeBase64Url(identity),
      host: { fingerprintDigest: encodeBase64Url(hostDigest), hostname: 'h', os: 'o', lmVersion: '1' },
      contact: { name: 'Mallory', email: 'm@evil.example', phone: '' },
      product: null,
      nodes: { query: 1000 },
      limits: {},
      features: [],
      months: 120,
      createdAt: '2026-01-01T00:00:00Z',
    };
    const signature = Buffer.concat([identity, Buffer.alloc(32)]).toString('base64url');
    expect(readRequestCode(line('request', body, signature))).toMatchObject({ ok: false, code: 'MALFORMED' });
  });

  it('a genuine key is never mistaken for a small-order point', () => {
    for (let i = 0; i < 50; i++) expect(isSmallOrderPoint(sha256(String(i)))).toBe(false);
    const lm = makeLm();
    const code = createRequestCode(
      {
        contact: { name: 'A', email: 'a@b.c', phone: '' },
        host: { hostname: 'h', os: 'o', lmVersion: '1' },
        product: null,
        nodes: { q: 1 },
        limits: {},
        features: [],
        months: 1,
        createdAt: '2026-01-01T00:00:00Z',
      },
      lm,
    );
    expect(readRequestCode(unwrap(code))).toMatchObject({ ok: true });
  });

  it('only ASCII letters are upper-cased when reading identifiers', () => {
    const lm = makeLm();
    expect(parseLmid(`ı${lm.lmid.slice(1)}`)).toMatchObject({
      ok: false,
      code: 'MALFORMED',
      detail: expect.stringMatching(/"ı" \(character 1\)/),
    });
    expect(parseLmid(`${lm.lmid.slice(0, 4)}ß`)).toMatchObject({ ok: false, detail: expect.stringMatching(/"ß" \(character 5\)/) });
  });
});
