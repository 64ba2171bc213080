import { describe, expect, it } from 'vitest';
import { generateEd25519, rawPublicKey } from './crypto.js';
import { generateSigningKey, serializeTrustBundle } from './keyring.js';
import { issueLicense, readLicense } from './license.js';
import {
  endorseRoot,
  formatTrustRoot,
  parseTrustRoot,
  parseTrustRoots,
  readSignedTrustBundle,
  readTrustFile,
  rootKidForPublicKey,
  serializeTrustFile,
  signTrustBundle,
} from './trust-root.js';
import { makeWorld, unwrap } from '../test/helpers.js';

function makeRoot() {
  const { privateKey } = generateEd25519();
  const publicKeyRaw = rawPublicKey(privateKey);
  return { signer: { kid: rootKidForPublicKey(publicKeyRaw), privateKey }, text: formatTrustRoot(publicKeyRaw) };
}

describe('trust roots', () => {
  it('print as tessera-root:<key> and read back with a kid of their own kind', () => {
    const root = makeRoot();
    expect(root.text).toMatch(/^tessera-root:[A-Za-z0-9_-]{43}$/);
    const parsed = unwrap(parseTrustRoot(` ${root.text}\n`));
    expect(parsed.kid).toBe(root.signer.kid);
    expect(parsed.kid).toMatch(/^r[0-9A-Z]{12}$/);
  });
  it('refuse anything else with MALFORMED and a sentence', () => {
    expect(parseTrustRoot('MCowBQYDK2VwAyEA')).toMatchObject({
      ok: false,
      code: 'MALFORMED',
      detail: expect.stringMatching(/tessera-center trust-root/),
    });
    expect(parseTrustRoot('tessera-root:abc')).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(parseTrustRoot(42)).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(parseTrustRoots([])).toMatchObject({ ok: false, code: 'MALFORMED' });
  });
});

describe('root-signed trust bundles', () => {
  const root = makeRoot();
  const roots = unwrap(parseTrustRoots([root.text]));
  const vendor = generateSigningKey();
  const retired = generateSigningKey();
  const keys = [
    { kid: vendor.kid, state: 'active' as const, publicKeyRaw: vendor.publicKeyRaw },
    { kid: retired.kid, state: 'retired' as const, publicKeyRaw: retired.publicKeyRaw },
  ];
  const text = signTrustBundle({ serial: 3, issuedAt: '2026-12-01T00:00:00Z', keys }, root.signer);

  it('verify with the root the product was built with, and vouch for the licenses of their keys', () => {
    const bundle = unwrap(readSignedTrustBundle(text, roots));
    expect(bundle).toMatchObject({ serial: 3, issuedAt: '2026-12-01T00:00:00Z', rootKid: root.signer.kid, text });
    expect([...bundle.keys.keys()]).toEqual([vendor.kid, retired.kid]);
    const { input } = makeWorld();
    expect(readLicense(unwrap(issueLicense(input, vendor)), bundle)).toMatchObject({ ok: true });
  });

  it('refuse a bundle signed by another root (a key pair the customer made) with UNTRUSTED_ROOT', () => {
    const forger = makeRoot();
    const forged = signTrustBundle({ serial: 99, issuedAt: '2026-12-01T00:00:00Z', keys }, forger.signer);
    expect(readSignedTrustBundle(forged, roots)).toMatchObject({
      ok: false,
      code: 'UNTRUSTED_ROOT',
      detail: expect.stringContaining(forger.signer.kid),
    });
  });

  it('refuse a bundle signed under the right kid by another key (SIGNATURE_INVALID), and an edited one', () => {
    const impostor = { kid: root.signer.kid, privateKey: generateEd25519().privateKey };
    const forged = signTrustBundle({ serial: 4, issuedAt: '2026-12-01T00:00:00Z', keys }, impostor);
    expect(readSignedTrustBundle(forged, roots)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    const [head, payload, signature] = text.split('.') as [string, string, string];
    const edited = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { serial: number };
    edited.serial = 1000;
    const tampered = `${head}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature}`;
    expect(readSignedTrustBundle(tampered, roots)).toMatchObject({ ok: false });
  });

  it('accept any of several roots (a product built during a root rotation)', () => {
    const next = makeRoot();
    const both = unwrap(parseTrustRoots([root.text, next.text]));
    const byNext = signTrustBundle({ serial: 5, issuedAt: '2026-12-02T00:00:00Z', keys }, next.signer);
    expect(readSignedTrustBundle(byNext, both)).toMatchObject({ ok: true, value: { rootKid: next.signer.kid } });
    expect(readSignedTrustBundle(byNext, roots)).toMatchObject({ ok: false, code: 'UNTRUSTED_ROOT' });
  });

  it('refuse a plain (unsigned) bundle and bad fields with MALFORMED or WRONG_KIND', () => {
    expect(readSignedTrustBundle('{"format":"tessera-trust-bundle","v":1,"keys":[]}', roots)).toMatchObject({
      ok: false,
      code: 'MALFORMED',
    });
    const noKeys = signTrustBundle({ serial: 1, issuedAt: '2026-12-01T00:00:00Z', keys: [] }, root.signer);
    expect(readSignedTrustBundle(noKeys, roots)).toMatchObject({ ok: false, code: 'MALFORMED', detail: 'The trust bundle lists no keys.' });
    const badTime = signTrustBundle({ serial: 1, issuedAt: 'yesterday', keys }, root.signer);
    expect(readSignedTrustBundle(badTime, roots)).toMatchObject({ ok: false, code: 'MALFORMED' });
  });
});

describe('trust files', () => {
  const root = makeRoot();
  const vendor = generateSigningKey();
  const keys = [{ kid: vendor.kid, state: 'active' as const, publicKeyRaw: vendor.publicKeyRaw }];
  const bundle = signTrustBundle({ serial: 2, issuedAt: '2026-12-01T00:00:00Z', keys }, root.signer);
  const file = serializeTrustFile([root.text], bundle);

  it('carry the published roots and the signed bundle, verified with them', () => {
    expect(unwrap(readTrustFile(file))).toMatchObject({ kind: 'signed', bundle: { serial: 2, rootKid: root.signer.kid } });
  });
  it('verify with pinned roots instead of their own when given: a file that names its own root cannot widen trust', () => {
    const forger = makeRoot();
    const forged = serializeTrustFile([forger.text], signTrustBundle({ serial: 9, issuedAt: '2026-12-01T00:00:00Z', keys }, forger.signer));
    expect(readTrustFile(forged)).toMatchObject({ ok: true });
    expect(readTrustFile(forged, unwrap(parseTrustRoots([root.text])))).toMatchObject({ ok: false, code: 'UNTRUSTED_ROOT' });
  });
  it('still read the plain bundle of earlier releases, as legacy', () => {
    const legacy = serializeTrustBundle(keys);
    expect(unwrap(readTrustFile(legacy))).toMatchObject({ kind: 'legacy' });
  });
  it('refuse other versions and broken files with a code and a sentence', () => {
    expect(readTrustFile('not json')).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(readTrustFile('{"format":"tessera-trust-bundle","v":3}')).toMatchObject({ ok: false, code: 'UNSUPPORTED_VERSION' });
    expect(readTrustFile('{"format":"tessera-trust-bundle","v":2,"roots":[],"bundle":"x"}')).toMatchObject({
      ok: false,
      code: 'MALFORMED',
    });
  });
});

describe('root endorsements (a License Manager following a root rotation)', () => {
  const [r1, r2, r3] = [makeRoot(), makeRoot(), makeRoot()];
  const vendor = generateSigningKey();
  const keys = [{ kid: vendor.kid, state: 'active' as const, publicKeyRaw: vendor.publicKeyRaw }];
  const chain = [endorseRoot(r2.text, r1.signer), endorseRoot(r3.text, r2.signer)];
  const byR3 = signTrustBundle({ serial: 7, issuedAt: '2026-12-07T00:00:00Z', keys, endorsements: chain }, r3.signer);
  const first = unwrap(parseTrustRoots([r1.text]));

  it('chain from a trusted root to the signer for whoever follows them, never for a product', () => {
    expect(readSignedTrustBundle(byR3, first, { followEndorsements: true })).toMatchObject({ ok: true, value: { rootKid: r3.signer.kid } });
    expect(readSignedTrustBundle(byR3, first)).toMatchObject({ ok: false, code: 'UNTRUSTED_ROOT' });
  });
  it('count only when signed by a root already trusted: an endorsement by a root of the customer’s vouches for nothing', () => {
    const forger = makeRoot();
    const forged = signTrustBundle(
      { serial: 8, issuedAt: '2026-12-07T00:00:00Z', keys, endorsements: [endorseRoot(forger.text, forger.signer)] },
      forger.signer,
    );
    expect(readSignedTrustBundle(forged, first, { followEndorsements: true })).toMatchObject({ ok: false, code: 'UNTRUSTED_ROOT' });
    // A gap in the chain (r2 → r3 without r1 → r2) is no chain.
    const gap = signTrustBundle({ serial: 9, issuedAt: '2026-12-07T00:00:00Z', keys, endorsements: [chain[1]!] }, r3.signer);
    expect(readSignedTrustBundle(gap, first, { followEndorsements: true })).toMatchObject({ ok: false, code: 'UNTRUSTED_ROOT' });
  });
});
