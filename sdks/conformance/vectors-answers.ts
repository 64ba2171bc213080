/**
 * Vectors of whole GET /v1/license answers, checked as an SDK checks one before it believes anything in it (the
 * order is the spec, packages/sdk/src/license-answer.ts): the LMID derives from the key shown; the answer is signed
 * by that key for this request's nonce; the trust bundle is signed by a root the product was built with, is the one
 * the signed answer names and is not older than one accepted before; the license verifies with that bundle and is
 * the one the signed answer names; then the SDK evaluates the license itself on its own clock. Failure codes are
 * written by hand; the verdicts on licenses come from core's evaluate().
 */
import { issueLicense, signingKeyFromSeed, signLmAnswer } from '@tessera/core';
import { coreFixture, fixtureBundle, must, nextRoot, root, seeded, strangerRoot } from './vectors-keys.js';
import { expectedVerdict } from './vectors-licenses.js';
import { alterPayload, lm, otherLm } from './vectors-lm.js';
import type { SeededLm } from './vectors-lm.js';

const NONCE = 'bm9uY2Utb2YtdGhpcy1yZXF1ZXN0';
const OLD_NONCE = 'bm9uY2Utb2YtYW4tb2xkLW9uZQ';
const NOW = '2026-06-15T00:00:00Z';
const LM_TIME = '2026-06-15T00:00:00.000Z';

interface LicenseCase {
  name: string;
  input: string;
}
const fixtures = coreFixture<{ licenses: LicenseCase[] }>('licenses.json').licenses;
const fixtureKey = (name: string) => fixtures.find((c) => c.name === name)!.input;
const key = fixtureKey('valid');

function vendorKey(label: string) {
  const signer = signingKeyFromSeed(seeded(label));
  if (!signer.ok) throw new Error(signer.detail);
  return signer.value;
}
const active = vendorKey('vendor key active');

function license(change: Record<string, unknown> = {}): string {
  return must(
    issueLicense(
      {
        id: 'lic_fixture1',
        serial: 3,
        product: 'graphdb',
        customer: { id: 'cus_fixture', name: 'Fixture Customer Ltd' },
        nodes: { query: 3, storage: 5 },
        limits: { remote_clusters: 2 },
        features: ['scan', 'enforce'],
        issuedAt: '2026-01-01T00:00:00Z',
        startsAt: '2026-01-01T00:00:00Z',
        expiresAt: '2027-01-01T00:00:00Z',
        mode: 'offline',
        lmid: lm.lmid,
        ...change,
      },
      active,
    ),
  );
}

interface Answer {
  /** Who the answer says it is (lmid, lmPublicKey, hostDigest) and who signs. */
  by?: SeededLm;
  shown?: Partial<Pick<SeededLm, 'lmid' | 'lmPublicKey' | 'hostDigest'>>;
  nonce?: string;
  license?: string | null;
  trust?: string | null;
  /** What the signed answer names; by default what is served. */
  named?: { id: string; serial: number } | null;
  bundleSerial?: number | null;
  highWater?: string | null;
  /** Fields of the signed answer changed after the defaults. */
  signed?: Record<string, unknown>;
  /** The signing kid, when not the LMID. */
  kid?: string;
  status?: string;
  code?: string;
  /** false: an LM older than signed answers (no "answer" field). */
  answer?: false;
}

function body(a: Answer = {}) {
  const by = a.by ?? lm;
  const licenseText = a.license === undefined ? key : a.license;
  const trust = a.trust === undefined ? fixtureBundle(1) : a.trust;
  const named = a.named !== undefined ? a.named : licenseText === null ? null : { id: 'lic_fixture1', serial: 3 };
  const signed = {
    nonce: a.nonce ?? NONCE,
    lmid: by.lmid,
    license: named,
    bundleSerial: a.bundleSerial !== undefined ? a.bundleSerial : trust === null ? null : 1,
    lmTime: LM_TIME,
    highWater: a.highWater ?? LM_TIME,
    ...a.signed,
  };
  const answer = signLmAnswer(signed as never, { lmid: a.kid ?? by.lmid, privateKey: by.privateKey });
  return {
    lmid: by.lmid,
    lmPublicKey: by.lmPublicKey,
    hostDigest: by.hostDigest,
    ...a.shown,
    status: a.status ?? (licenseText === null ? 'NotExist' : 'Normal'),
    code: a.code ?? (licenseText === null ? 'NO_LICENSE' : 'VALID'),
    detail: 'What the License Manager says: information only.',
    license: licenseText,
    trust,
    ...(a.answer === false ? {} : { answer }),
  };
}

interface Context {
  roots?: string[];
  product?: string;
  nonce?: string;
  now?: string;
  clockHighWater?: string | null;
  acceptedBundleSerial?: number;
  knownLicenseSerial?: number | null;
}

function context(c: Context = {}) {
  return {
    roots: c.roots ?? [root.text],
    product: c.product ?? 'graphdb',
    nonce: c.nonce ?? NONCE,
    now: c.now ?? NOW,
    clockHighWater: c.clockHighWater ?? null,
    acceptedBundleSerial: c.acceptedBundleSerial ?? 0,
    knownLicenseSerial: c.knownLicenseSerial ?? null,
  };
}

const refused = (code: string) => ({ ok: false, code });

/**
 * The verdict on an answer that passes every check: the license evaluated by core, and what the SDK remembers (the
 * bundle serial always; the license serial unless the license is another product's, another LM's or older).
 */
function verified(input: { body: ReturnType<typeof body>; context: ReturnType<typeof context> }, status?: string) {
  const { body: b, context: c } = input;
  if (b.license === null) {
    return {
      ok: true,
      lmid: b.lmid,
      status: status ?? 'NotExist',
      code: 'NO_LICENSE',
      valid: false,
      daysLeft: null,
      license: null,
      remembers: { bundleSerial: c.acceptedBundleSerial || null, licenseSerial: c.knownLicenseSerial },
    };
  }
  const signed = JSON.parse(Buffer.from(b.answer!.split('.')[1]!, 'base64url').toString('utf8')) as {
    highWater: string;
    bundleSerial: number;
  };
  const lmHighWater = Date.parse(signed.highWater);
  const clock = c.clockHighWater ? Date.parse(c.clockHighWater) : -Infinity;
  const highWater = new Date(Math.max(lmHighWater, clock)).toISOString();
  const verdict = expectedVerdict({
    roots: c.roots,
    trust: b.trust!,
    license: b.license,
    now: c.now,
    lmid: b.lmid,
    product: c.product,
    highWater,
    knownSerial: c.knownLicenseSerial === null ? null : { licenseId: 'lic_fixture1', serial: c.knownLicenseSerial },
  });
  // A license that does not verify with the bundle is a refusal, not a verdict.
  if (verdict.license === null) return refused(verdict.code);
  const remembered = !['PRODUCT_MISMATCH', 'LMID_MISMATCH', 'SUPERSEDED'].includes(verdict.code);
  const serial = verdict.license!.serial;
  return {
    ok: true,
    lmid: b.lmid,
    status: verdict.status,
    code: verdict.code,
    valid: verdict.valid,
    daysLeft: verdict.daysLeft,
    license: verdict.license,
    remembers: {
      bundleSerial: Math.max(signed.bundleSerial, c.acceptedBundleSerial),
      licenseSerial: remembered ? Math.max(serial, c.knownLicenseSerial ?? 0) : c.knownLicenseSerial,
    },
  };
}

export function answerVectors() {
  const otherTrust = fixtureBundle(1, strangerRoot);
  const rotated = fixtureBundle(2, nextRoot);
  const serial4 = license({ serial: 4 });
  const expired = license({ expiresAt: '2026-05-01T00:00:00Z' });
  const withGrace = license({ outageGraceHours: 72 });
  const cases: { name: string; body: ReturnType<typeof body>; context: ReturnType<typeof context>; expect?: unknown; status?: string }[] = [
    { name: 'valid', body: body(), context: context() },
    { name: 'valid, with an outage grace', body: body({ license: withGrace }), context: context() },
    { name: 'an expired license, though the LM says VALID', body: body({ license: expired }), context: context() },
    { name: 'in grace by the SDK clock though the LM says VALID', body: body(), context: context({ now: '2027-01-10T00:00:00Z' }) },
    { name: 'expired by the SDK clock though the LM says VALID', body: body(), context: context({ now: '2027-02-01T00:00:00Z' }) },
    {
      name: 'the LM has seen a later time: the SDK clock was set back',
      body: body({ highWater: '2026-06-15T01:00:00.000Z' }),
      context: context(),
    },
    {
      name: 'the SDK has read a later time from its own clock before',
      body: body(),
      context: context({ clockHighWater: '2026-06-15T00:30:00Z' }),
    },
    { name: 'a newer serial of this license was accepted before', body: body(), context: context({ knownLicenseSerial: 4 }) },
    { name: 'the serial accepted before is older: accepted, remembered', body: body(), context: context({ knownLicenseSerial: 2 }) },
    { name: 'the license is for another product', body: body(), context: context({ product: 'guard' }) },
    { name: 'the license is bound to another LM than the one answering', body: body({ by: otherLm }), context: context() },
    { name: 'signed by a revoked vendor key', body: body({ license: fixtureKey('signed by a revoked key') }), context: context() },
    {
      name: 'signed by a vendor key not in the bundle',
      body: body({ license: fixtureKey('signed by an unknown key') }),
      context: context(),
    },
    { name: 'no license, the LM says NotExist', body: body({ license: null }), context: context() },
    {
      name: 'no license, the LM waits for its first sync',
      body: body({ license: null, status: 'Syncing', code: 'NO_LICENSE' }),
      context: context(),
      status: 'Syncing',
    },
    { name: 'no license and no trust bundle', body: body({ license: null, trust: null }), context: context() },
    {
      name: 'a bundle of a rotated root, product built with both',
      body: body({ trust: rotated, bundleSerial: 2 }),
      context: context({ roots: [root.text, nextRoot.text] }),
    },
    // Refusals, in the order the checks run.
    {
      name: 'the LMID does not derive from the key shown',
      body: body({ shown: { lmid: otherLm.lmid } }),
      context: context(),
      expect: refused('LEASE_TOKEN_INVALID'),
    },
    {
      name: 'the key shown is not an Ed25519 key',
      body: body({ shown: { lmPublicKey: 'AAAA' } }),
      context: context(),
      expect: refused('LEASE_TOKEN_INVALID'),
    },
    {
      name: 'the host digest is not base64url',
      body: body({ shown: { hostDigest: '***' } }),
      context: context(),
      expect: refused('LEASE_TOKEN_INVALID'),
    },
    { name: 'an LM older than signed answers', body: body({ answer: false }), context: context(), expect: refused('UNSUPPORTED_VERSION') },
    {
      name: 'the signed answer is not a document',
      body: { ...body(), answer: 'not-a-document' },
      context: context(),
      expect: refused('MALFORMED'),
    },
    { name: 'answer signed with another kid', body: body({ kid: otherLm.lmid }), context: context(), expect: refused('SIGNATURE_INVALID') },
    {
      name: "answer signed by another key under this LM's LMID",
      body: { ...body(), answer: body({ by: otherLm, kid: lm.lmid }).answer },
      context: context(),
      expect: refused('SIGNATURE_INVALID'),
    },
    {
      name: 'a recorded answer served again (another nonce)',
      body: body({ nonce: OLD_NONCE }),
      context: context(),
      expect: refused('STALE_ANSWER'),
    },
    {
      name: 'the signed answer is of another message',
      body: body({ signed: { msg: 'something-else' } }),
      context: context(),
      expect: refused('MALFORMED'),
    },
    {
      name: 'the signed answer names another LMID',
      body: body({ signed: { lmid: otherLm.lmid } }),
      context: context(),
      expect: refused('MALFORMED'),
    },
    {
      name: 'the signed answer has no valid lmTime',
      body: body({ signed: { lmTime: 'now' } }),
      context: context(),
      expect: refused('MALFORMED'),
    },
    {
      name: 'the signed answer names a license without a valid id',
      body: body({ named: { id: 'fixture1', serial: 3 } }),
      context: context(),
      expect: refused('MALFORMED'),
    },
    {
      name: 'the signed answer has a bundle serial of 0',
      body: body({ bundleSerial: 0 }),
      context: context(),
      expect: refused('MALFORMED'),
    },
    {
      name: 'the signed answer names no license but one is served',
      body: body({ named: null }),
      context: context(),
      expect: refused('SIGNATURE_INVALID'),
    },
    {
      name: 'a license held but no root-signed trust bundle',
      body: body({ trust: null }),
      context: context(),
      expect: refused('UNTRUSTED_ROOT'),
    },
    {
      name: 'the signed answer names a license but none is served',
      body: body({ license: null, named: { id: 'lic_fixture1', serial: 3 } }),
      context: context(),
      expect: refused('SIGNATURE_INVALID'),
    },
    {
      name: 'a trust bundle of another vendor root',
      body: body({ trust: otherTrust }),
      context: context(),
      expect: refused('UNTRUSTED_ROOT'),
    },
    {
      name: 'a rotated root the product was not built with',
      body: body({ trust: rotated, bundleSerial: 2 }),
      context: context(),
      expect: refused('UNTRUSTED_ROOT'),
    },
    {
      name: 'the trust bundle altered',
      body: body({ trust: alterPayload(fixtureBundle(1), '"serial":1', '"serial":5') }),
      context: context(),
      expect: refused('SIGNATURE_INVALID'),
    },
    {
      name: 'the license altered',
      body: body({ license: alterPayload(key, '"storage":5', '"storage":9') }),
      context: context(),
      expect: refused('SIGNATURE_INVALID'),
    },
    {
      name: 'the license is not a license',
      body: body({ license: 'tessera-license:12' }),
      context: context(),
      expect: refused('MALFORMED'),
    },
    {
      name: 'the bundle served is not the one the answer names',
      body: body({ bundleSerial: 2 }),
      context: context(),
      expect: refused('SIGNATURE_INVALID'),
    },
    {
      name: 'a trust bundle older than one accepted before',
      body: body(),
      context: context({ acceptedBundleSerial: 2 }),
      expect: refused('SUPERSEDED'),
    },
    {
      name: 'another license served than the one the answer names',
      body: body({ license: serial4 }),
      context: context(),
      expect: refused('SIGNATURE_INVALID'),
    },
  ];
  return {
    format: 'tessera-conformance/lm-answers',
    v: 1,
    description:
      "A License Manager's answer to GET /v1/license?nonce=… (input.body, as it comes over the wire) checked by an SDK that sent input.context.nonce, built with input.context.roots, for input.context.product, at input.context.now, having read input.context.clockHighWater from its clock before, having accepted trust bundle serial acceptedBundleSerial (0: none) under these roots and serial knownLicenseSerial (null: none) of license lic_fixture1 at this LM. expect.ok false: the code the check that fails gives. expect.ok true: the SDK's own verdict (status is Syncing when the LM holds no license and says Syncing), the license facts, and what it remembers afterwards (the highest bundle serial and license serial accepted).",
    vectors: cases.map((c) => ({
      name: c.name,
      input: { body: c.body, context: c.context },
      expect: c.expect ?? verified(c, c.status),
    })),
  };
}
