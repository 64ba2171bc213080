/**
 * Vectors of the chain a product trusts a license by: its vendor root (roots.json), the root-signed trust bundle
 * (trust-bundles.json), and the license verified with that bundle and evaluated at a given time
 * (licenses.json, core's known-answer fixtures set under a root).
 */
import { sign } from 'node:crypto';
import {
  encodeBase64Url,
  evaluate,
  evaluationOfFailure,
  frameDocument,
  issueLicense,
  parseTrustRoots,
  privateKeyFromSeed,
  rawPublicKey,
  readLicense,
  readSignedTrustBundle,
  sealEnvelope,
  signingKeyFromSeed,
} from '@tessera/core';
import type { Evaluation, License } from '@tessera/core';
import { coreFixture, endorsement, fixtureBundle, must, nextRoot, root, seeded, strangerRoot } from './vectors-keys.js';

interface CoreLicenseCase {
  name: string;
  input: string;
  context: { now: string; lmid: string; product: string; highWaterTime?: string; knownSerial?: { licenseId: string; serial: number } };
  expect: { valid: boolean; status: string; code: string };
}

export interface LicenseInput {
  roots: string[];
  trust: string;
  license: string;
  now: string;
  lmid: string;
  product: string;
  highWater: string | null;
  knownSerial: { licenseId: string; serial: number } | null;
}

/** The parts of a verified license a product reads: every SDK shows the same. */
export function licenseFacts(license: License) {
  return {
    id: license.id,
    serial: license.serial,
    product: license.product,
    lmid: license.lmid,
    expiresAt: license.expiresAt,
    features: [...license.features],
    limits: { ...license.limits },
    nodes: { ...license.nodes },
    outageGraceHours: license.outageGraceHours,
  };
}

/** What core says: the bundle under the roots, the license with the bundle, then evaluate() at the input's time. */
export function expectedVerdict(input: LicenseInput) {
  const roots = parseTrustRoots(input.roots);
  if (!roots.ok) throw new Error(roots.detail);
  const bundle = readSignedTrustBundle(input.trust, roots.value);
  const license = bundle.ok ? readLicense(input.license, bundle.value) : bundle;
  const verdict: Evaluation = license.ok
    ? evaluate(license.value, {
        now: Date.parse(input.now),
        lmid: input.lmid,
        product: input.product,
        highWaterTime: input.highWater ? Date.parse(input.highWater) : null,
        knownSerial: input.knownSerial,
      })
    : evaluationOfFailure(license);
  const { valid, status, code, daysLeft } = verdict;
  return { valid, status, code, daysLeft, license: license.ok ? licenseFacts(license.value) : null };
}

const bundle1 = fixtureBundle(1);

export function licenseVectors() {
  const { licenses, lmid } = coreFixture<{ lmid: string; licenses: CoreLicenseCase[] }>('licenses.json');
  const vectors = licenses.map((c) => {
    const input: LicenseInput = {
      roots: [root.text],
      trust: bundle1,
      license: c.input,
      now: c.context.now,
      lmid: c.context.lmid,
      product: c.context.product,
      highWater: c.context.highWaterTime ?? null,
      knownSerial: c.context.knownSerial ?? null,
    };
    const expect = expectedVerdict(input);
    const core = { valid: expect.valid, status: expect.status, code: expect.code };
    if (JSON.stringify(core) !== JSON.stringify(c.expect)) throw new Error(`${c.name}: core's fixture says ${JSON.stringify(c.expect)}`);
    return { name: `core fixture: ${c.name}`, input, expect };
  });
  const valid = licenses.find((c) => c.name === 'valid')!;
  const base = { ...vectors[0]!.input, license: valid.input };
  const active = signingKeyFromSeed(seeded('vendor key active'));
  if (!active.ok) throw new Error(active.detail);
  const withGrace = must(
    issueLicense(
      {
        id: 'lic_grace',
        serial: 1,
        product: 'guard',
        customer: { id: 'cus_fixture', name: 'Fixture Customer Ltd' },
        nodes: { enforcer: 4 },
        limits: { remote_clusters: 3 },
        features: ['scan', 'enforce', 'federation'],
        issuedAt: '2026-01-01T00:00:00Z',
        startsAt: '2026-01-01T00:00:00Z',
        expiresAt: '2027-01-01T00:00:00Z',
        warnDays: 10,
        graceDays: 5,
        mode: 'offline',
        lmid,
        outageGraceHours: 72,
      },
      active.value,
    ),
  );
  const extra: { name: string; input: LicenseInput }[] = [
    { name: 'trust bundle of another vendor root', input: { ...base, trust: fixtureBundle(1, strangerRoot) } },
    {
      name: 'trust bundle of a rotated root, product built with the old and the new',
      input: { ...base, roots: [root.text, nextRoot.text], trust: fixtureBundle(2, nextRoot) },
    },
    { name: 'license with an outage grace, its own warn and grace days', input: { ...base, license: withGrace, product: 'guard' } },
    {
      name: 'its warn days are its own: 9 days before expiry',
      input: { ...base, license: withGrace, product: 'guard', now: '2026-12-23T00:00:00Z' },
    },
    {
      name: 'its grace days are its own: 5 days after expiry',
      input: { ...base, license: withGrace, product: 'guard', now: '2027-01-06T00:00:00Z' },
    },
    { name: 'clock set back within the tolerance (10 minutes)', input: { ...base, highWater: '2026-06-15T00:09:59Z' } },
    { name: 'a newer serial than the one known', input: { ...base, knownSerial: { licenseId: 'lic_fixture1', serial: 2 } } },
    { name: 'one second before the end of grace', input: { ...base, now: '2027-01-14T23:59:59Z' } },
  ];
  return {
    format: 'tessera-conformance/licenses',
    v: 1,
    description:
      'A license as a product trusts it: the trust bundle must verify under one of input.roots (never following endorsements), the license with that bundle (its kid active or retired, not revoked), then the license is evaluated at input.now for input.product and input.lmid, with the highest time seen (highWater) and the serial already accepted for its id (knownSerial). expect: valid, status, code, daysLeft, and the license facts (null when it could not be read).',
    vectors: [...vectors, ...extra.map((v) => ({ ...v, expect: expectedVerdict(v.input) }))],
  };
}

export function rootVectors() {
  const raw = rawPublicKey(privateKeyFromSeed(seeded('vendor root'))!);
  const cases: { name: string; input: string }[] = [
    { name: 'valid', input: root.text },
    { name: 'valid with surrounding whitespace', input: `  ${root.text}\n` },
    { name: 'another valid root', input: nextRoot.text },
    { name: 'no prefix', input: encodeBase64Url(raw) },
    { name: 'a trust bundle instead', input: bundle1 },
    { name: 'cut short', input: root.text.slice(0, -2) },
    { name: 'not base64url', input: `tessera-root:${'+'.repeat(43)}` },
    { name: 'padding bits set (non-canonical base64url)', input: root.text.slice(0, -1) + nonCanonical(root.text.slice(-1)) },
    { name: 'a small-order point (all zeros)', input: `tessera-root:${encodeBase64Url(new Uint8Array(32))}` },
    { name: 'empty', input: '' },
  ];
  return {
    format: 'tessera-conformance/roots',
    v: 1,
    description:
      'The vendor root text a product is built with ("tessera-root:" and a raw Ed25519 public key in strict base64url). expect.ok with the root kid ("r" and 12 Crockford symbols of SHA-256("tessera/root/" + key)), or the code (an SDK refuses such an option with BAD_OPTIONS).',
    vectors: cases.map((c) => {
      const parsed = parseTrustRoots([c.input]);
      return { ...c, expect: parsed.ok ? { ok: true, kid: parsed.value[0]!.kid } : { ok: false, code: parsed.code } };
    }),
  };
}

/** The same last character with one of its unused low bits set: decodes to the same bytes in a lax decoder. */
function nonCanonical(last: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return alphabet[alphabet.indexOf(last) | 1]!;
}

export function bundleVectors() {
  const rootSeed = privateKeyFromSeed(seeded('vendor root'))!;
  const sealed = (body: Record<string, unknown>) => sealEnvelope('trust', { kid: root.signer.kid, privateKey: rootSeed }, body);
  const [head, payload, signature] = bundle1.split('.') as [string, string, string];
  const altered = Buffer.from(payload, 'base64url').toString('utf8').replace('"serial":1', '"serial":7');
  const cases: { name: string; input: { roots: string[]; bundle: string } }[] = [
    { name: 'valid', input: { roots: [root.text], bundle: bundle1 } },
    {
      name: 'armored',
      input: {
        roots: [root.text],
        bundle: `-----BEGIN TESSERA TRUST BUNDLE-----\n${bundle1.match(/.{1,64}/g)!.join('\n')}\n-----END TESSERA TRUST BUNDLE-----`,
      },
    },
    { name: 'one of several roots', input: { roots: [nextRoot.text, root.text], bundle: bundle1 } },
    { name: 'signed by another vendor root', input: { roots: [root.text], bundle: fixtureBundle(1, strangerRoot) } },
    {
      name: 'payload altered',
      input: { roots: [root.text], bundle: `${head}.${Buffer.from(altered).toString('base64url')}.${signature}` },
    },
    {
      name: 'signed by a new root the old one endorses: a product never follows endorsements',
      input: { roots: [root.text], bundle: fixtureBundle(2, nextRoot, [endorsement]) },
    },
    {
      name: 'signed by the new root, product built with both',
      input: { roots: [root.text, nextRoot.text], bundle: fixtureBundle(2, nextRoot, [endorsement]) },
    },
    { name: 'no keys', input: { roots: [root.text], bundle: sealed({ serial: 1, issuedAt: '2026-01-01T00:00:00Z', keys: [] }) } },
    { name: 'serial 0', input: { roots: [root.text], bundle: sealed({ serial: 0, issuedAt: '2026-01-01T00:00:00Z', keys: [] }) } },
    { name: 'no issuedAt', input: { roots: [root.text], bundle: sealed({ serial: 1, keys: [] }) } },
    {
      name: 'a key of another algorithm',
      input: {
        roots: [root.text],
        bundle: sealed({
          serial: 1,
          issuedAt: '2026-01-01T00:00:00Z',
          keys: [{ kid: 'k1', alg: 'RSA', state: 'active', publicKey: 'AAAA' }],
        }),
      },
    },
    {
      name: 'a key of unknown state',
      input: {
        roots: [root.text],
        bundle: sealed({
          serial: 1,
          issuedAt: '2026-01-01T00:00:00Z',
          keys: [{ kid: 'k1', alg: 'Ed25519', state: 'trusted', publicKey: encodeBase64Url(rawPublicKey(rootSeed)) }],
        }),
      },
    },
    { name: 'cut short', input: { roots: [root.text], bundle: bundle1.slice(0, 200) } },
    {
      name: 'a license instead',
      input: { roots: [root.text], bundle: coreFixture<{ licenses: { input: string }[] }>('licenses.json').licenses[0]!.input },
    },
    { name: 'format version 2', input: { roots: [root.text], bundle: versionTwo() } },
  ];
  return {
    format: 'tessera-conformance/trust-bundles',
    v: 1,
    description:
      'A root-signed trust bundle read with the roots a product was built with: the root must be one of input.roots (UNTRUSTED_ROOT otherwise; endorsements are never followed), then the signature, serial, issuedAt and keys. expect.ok with serial, rootKid and each key state by kid, or the code.',
    vectors: cases.map((c) => {
      const roots = parseTrustRoots(c.input.roots);
      if (!roots.ok) throw new Error(roots.detail);
      const read = readSignedTrustBundle(c.input.bundle, roots.value);
      const expect = read.ok
        ? {
            ok: true,
            serial: read.value.serial,
            rootKid: read.value.rootKid,
            keys: Object.fromEntries([...read.value.keys.values()].map((k) => [k.kid, k.state])),
          }
        : { ok: false, code: read.code };
      return { ...c, expect };
    }),
  };
}

function versionTwo(): string {
  const privateKey = privateKeyFromSeed(seeded('vendor root'))!;
  const text = sealEnvelope('trust', { kid: root.signer.kid, privateKey }, { serial: 1, issuedAt: '2026-01-01T00:00:00Z', keys: [] });
  // Re-signed with v: 2 by hand: sealEnvelope always writes the current version.
  const [, payload] = text.split('.') as [string, string, string];
  const json = Buffer.from(payload, 'base64url').toString('utf8').replace('"v":1', '"v":2');
  const bytes = Buffer.from(json);
  const signatureBytes = sign(null, Buffer.concat([Buffer.from('tessera/trust/'), bytes]), privateKey);
  return frameDocument('trust', encodeBase64Url(bytes), encodeBase64Url(signatureBytes));
}
