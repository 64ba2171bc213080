import { describe, expect, it } from 'vitest';
import {
  generateSigningKey,
  kidForPublicKey,
  parseTrustBundle,
  serializeTrustBundle,
  signingKeyFromSeed,
  signingKeySeed,
} from './keyring.js';
import { issueLicense, readLicense } from './license.js';
import { makeWorld, trustFor, unwrap } from '../test/helpers.js';

describe('vendor signing keys', () => {
  it('derive a stable kid from the public key, and survive a round trip through their seed', () => {
    const key = generateSigningKey();
    expect(key.kid).toMatch(/^k[0-9A-Z]{12}$/);
    expect(kidForPublicKey(key.publicKeyRaw)).toBe(key.kid);
    const restored = unwrap(signingKeyFromSeed(signingKeySeed(key)));
    expect(restored.kid).toBe(key.kid);
    expect(Buffer.from(restored.publicKeyRaw)).toEqual(Buffer.from(key.publicKeyRaw));
  });
  it('refuse a seed of the wrong size', () => {
    expect(signingKeyFromSeed(new Uint8Array(31))).toMatchObject({ ok: false, code: 'MALFORMED' });
  });
});

describe('rotation', () => {
  const { input } = makeWorld();
  const oldKey = generateSigningKey();
  const newKey = generateSigningKey();
  const oldLicense = unwrap(issueLicense(input, oldKey));

  it('keeps documents of a retired key valid after rotation', () => {
    const trust = trustFor([
      { key: newKey, state: 'active' },
      { key: oldKey, state: 'retired' },
    ]);
    expect(readLicense(oldLicense, trust)).toMatchObject({ ok: true, value: { kid: oldKey.kid } });
  });
  it('refuses documents of a revoked key, naming it', () => {
    const trust = trustFor([
      { key: newKey, state: 'active' },
      { key: oldKey, state: 'revoked' },
    ]);
    const result = readLicense(oldLicense, trust);
    expect(result).toMatchObject({ ok: false, code: 'KEY_REVOKED' });
    expect(!result.ok && result.detail).toContain(oldKey.kid);
  });
  it('refuses documents of a key the bundle does not list, naming the kid', () => {
    const result = readLicense(oldLicense, trustFor([{ key: newKey, state: 'active' }]));
    expect(result).toMatchObject({ ok: false, code: 'UNKNOWN_KEY' });
    expect(!result.ok && result.detail).toBe(
      `This license key was signed by a vendor key this License Manager does not trust (kid ${oldKey.kid}). Check that the trust bundle in its configuration is the vendor's current one.`,
    );
  });
  it('does not let a listed kid vouch for another key: the signature is checked against the listed key', () => {
    const impostor = { ...generateSigningKey(), kid: oldKey.kid };
    const forged = unwrap(issueLicense(input, impostor));
    expect(readLicense(forged, trustFor([{ key: oldKey, state: 'active' }]))).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });
});

describe('trust bundle', () => {
  const key = generateSigningKey();
  const good = serializeTrustBundle([{ kid: key.kid, state: 'active', publicKeyRaw: key.publicKeyRaw }]);

  it('round-trips', () => {
    const bundle = unwrap(parseTrustBundle(good));
    expect(bundle.keys.get(key.kid)).toMatchObject({ kid: key.kid, state: 'active' });
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['another format', JSON.stringify({ format: 'x', v: 1, keys: [] }), /"format": "tessera-trust-bundle"/],
    ['no keys', JSON.stringify({ format: 'tessera-trust-bundle', v: 1, keys: [] }), /lists no keys/],
    ['a bad state', good.replace('"active"', '"maybe"'), /state "maybe"; it must be active, retired or revoked/],
    ['another algorithm', good.replace('"Ed25519"', '"RSA"'), /only Ed25519/],
    ['a short public key', good.replace(/"publicKey": "[^"]+"/, '"publicKey": "AAAA"'), /no valid Ed25519 public key/],
    [
      'a duplicated kid',
      JSON.stringify({ format: 'tessera-trust-bundle', v: 1, keys: [JSON.parse(good).keys[0], JSON.parse(good).keys[0]] }),
      /twice/,
    ],
  ])('refuses %s with a sentence that names the problem', (_name, text, message) => {
    const result = parseTrustBundle(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.detail).toMatch(message);
  });

  it('refuses a newer format version as such', () => {
    expect(parseTrustBundle(good.replace('"v": 1', '"v": 2'))).toMatchObject({ ok: false, code: 'UNSUPPORTED_VERSION' });
  });
});
