/**
 * The fuzz corpus: valid documents of every kind core reads, all derived from the run seed (keys from seeded
 * bytes, Ed25519 signatures are deterministic), so a worker or a replay rebuilds exactly the same corpus.
 */
import type { KeyObject } from 'node:crypto';
import {
  armor,
  checkLicenseKey,
  createRequestCode,
  deriveLmid,
  fingerprintDigest,
  generateOnlineKey,
  issueLicense,
  openVendorDocument,
  parseLmid,
  parseOnlineKey,
  parseTrustBundle,
  privateKeyFromSeed,
  rawPublicKey,
  readLicense,
  readRequestCode,
  sealEnvelope,
  serializeTrustBundle,
  signingKeyFromSeed,
} from '@tessera/core';
import type { DocumentType, LicenseInput, RequestCodeInput, Result, SigningKey, TrustBundle } from '@tessera/core';
import { mix32, Rng } from './prng.js';

/** A reader under test: one of core's entry points for untrusted text. */
export type Reader = (text: string) => Result<unknown>;

export interface SignedDoc {
  readonly kind: 'signed';
  readonly id: string;
  readonly typ: DocumentType;
  /** The canonical one-line text. */
  readonly text: string;
  /** Whether it is handed to the reader inside an armored block. */
  readonly armored: boolean;
  /** What character-level mutations work on: the armored block or the line. */
  readonly presented: string;
  readonly kid: string;
  readonly read: Reader;
  /** The canonical text a successful read returns. */
  readonly canonicalOf: (value: unknown) => string;
  /** Who legitimately signs it: a key in the trust bundle, or the License Manager itself (request codes). */
  readonly signer: { readonly kind: 'vendor'; readonly key: SigningKey } | { readonly kind: 'lm'; readonly lm: LmIdentity };
}

export interface IdentDoc {
  readonly kind: 'ident';
  readonly id: 'lmid' | 'online-key';
  /** The canonical form. */
  readonly text: string;
  readonly read: Reader;
}

export type Doc = SignedDoc | IdentDoc;

export interface LmIdentity {
  readonly privateKey: KeyObject;
  readonly publicKeyRaw: Uint8Array;
  readonly hostDigest: Uint8Array;
  readonly lmid: string;
}

export interface Corpus {
  readonly seed: number;
  readonly trust: TrustBundle;
  readonly vendor: {
    readonly active: SigningKey;
    readonly retired: SigningKey;
    readonly revoked: SigningKey;
    readonly unknown: SigningKey;
  };
  readonly lm: { readonly a: LmIdentity; readonly b: LmIdentity };
  readonly signed: readonly SignedDoc[];
  readonly idents: readonly IdentDoc[];
  readonly docs: readonly Doc[];
}

function unwrap<T>(result: Result<T>, what: string): T {
  if (!result.ok) throw new Error(`fuzz corpus: ${what}: ${result.code}: ${result.detail}`);
  return result.value;
}

function lmIdentity(rng: Rng, host: string): LmIdentity {
  const privateKey = privateKeyFromSeed(rng.bytes(32));
  if (!privateKey) throw new Error('fuzz corpus: bad LM seed');
  const publicKeyRaw = rawPublicKey(privateKey);
  const hostDigest = fingerprintDigest(host);
  return { privateKey, publicKeyRaw, hostDigest, lmid: deriveLmid(publicKeyRaw, hostDigest) };
}

export function buildCorpus(seed: number): Corpus {
  const rng = new Rng(mix32(seed ^ 0xc0ffee));
  const key = (what: string) => unwrap(signingKeyFromSeed(rng.bytes(32)), what);
  const vendor = { active: key('active key'), retired: key('retired key'), revoked: key('revoked key'), unknown: key('unknown key') };
  const trust = unwrap(
    parseTrustBundle(
      serializeTrustBundle([
        { kid: vendor.active.kid, state: 'active', publicKeyRaw: vendor.active.publicKeyRaw },
        { kid: vendor.retired.kid, state: 'retired', publicKeyRaw: vendor.retired.publicKeyRaw },
        { kid: vendor.revoked.kid, state: 'revoked', publicKeyRaw: vendor.revoked.publicKeyRaw },
      ]),
    ),
    'trust bundle',
  );
  const lm = { a: lmIdentity(rng, 'fuzz-host-a'), b: lmIdentity(rng, 'fuzz-host-b') };

  const licenseInput: LicenseInput = {
    id: 'lic_fuzz0001',
    serial: 7,
    product: 'graphdb',
    customer: { id: 'cus_0042', name: 'Fuzz Industries GmbH' },
    nodes: { query: 8, storage: 12 },
    limits: { remote_clusters: 2 },
    features: ['scan', 'enforce', 'audit'],
    issuedAt: '2026-01-01T00:00:00Z',
    startsAt: '2026-01-01T00:00:00Z',
    expiresAt: '2027-01-01T00:00:00Z',
    mode: 'offline',
    lmid: lm.a.lmid,
  };
  const licenseA = unwrap(issueLicense(licenseInput, vendor.active), 'license a');
  const licenseA2 = unwrap(
    issueLicense({ ...licenseInput, serial: 8, mode: 'online', nodes: { query: 80, storage: 120 }, features: ['scan'] }, vendor.active),
    'license a2',
  );
  const licenseB = unwrap(issueLicense({ ...licenseInput, id: 'lic_fuzz0002', serial: 1 }, vendor.retired), 'license b');
  const context = { now: Date.parse('2026-06-01T00:00:00Z'), lmid: lm.a.lmid, product: 'graphdb' };
  for (const [what, text] of [
    ['license a', licenseA],
    ['license a2', licenseA2],
    ['license b', licenseB],
  ] as const) {
    const verdict = checkLicenseKey(text, trust, context);
    if (verdict.status !== 'Normal') throw new Error(`fuzz corpus: ${what} is not valid: ${verdict.code}: ${verdict.detail}`);
  }

  const requestInput: RequestCodeInput = {
    contact: { name: 'Ann Operator', email: 'ann@example.com', phone: '+49 30 1234567' },
    host: { hostname: 'lm-01.example.com', os: 'linux 6.8 x64', lmVersion: '0.1.0' },
    product: 'graphdb',
    nodes: { query: 8, storage: 12 },
    limits: {},
    features: ['scan'],
    months: 12,
    createdAt: '2026-05-30T10:00:00Z',
  };
  const requestSigner = { privateKey: lm.a.privateKey, hostDigest: lm.a.hostDigest };
  const request = unwrap(createRequestCode(requestInput, requestSigner), 'request code');
  const request2 = unwrap(
    createRequestCode({ ...requestInput, product: null, contact: { ...requestInput.contact, phone: '' }, months: 24 }, requestSigner),
    'request code 2',
  );

  const lease = sealEnvelope('lease', vendor.active, {
    lmid: lm.a.lmid,
    licenseId: 'lic_fuzz0001',
    role: 'query',
    node: 'node-7',
    issuedAt: '2026-06-01T00:00:00Z',
    expiresAt: '2026-06-01T01:00:00Z',
  });
  const sync = sealEnvelope('sync', vendor.active, { lmid: lm.a.lmid, time: '2026-06-01T00:00:00Z', license: licenseA2 });

  const textOf = (value: unknown) => (value as { text: string }).text;
  const keyOf = (value: unknown) => (value as { key: string }).key;
  const vendorDoc = (id: string, typ: DocumentType, text: string, signer: SigningKey, armored = false): SignedDoc => ({
    kind: 'signed',
    id,
    typ,
    text,
    armored,
    presented: armored ? armor(text) : text,
    kid: signer.kid,
    read: typ === 'license' ? (t) => readLicense(t, trust) : (t) => openVendorDocument(t, typ, trust),
    canonicalOf: typ === 'license' ? keyOf : textOf,
    signer: { kind: 'vendor', key: signer },
  });
  const requestDoc = (id: string, text: string): SignedDoc => ({
    kind: 'signed',
    id,
    typ: 'request',
    text,
    armored: false,
    presented: text,
    kid: lm.a.lmid,
    read: readRequestCode,
    canonicalOf: textOf,
    signer: { kind: 'lm', lm: lm.a },
  });
  const signed: SignedDoc[] = [
    vendorDoc('license-a', 'license', licenseA, vendor.active),
    vendorDoc('license-a2-online', 'license', licenseA2, vendor.active),
    vendorDoc('license-b-retired-kid', 'license', licenseB, vendor.retired),
    vendorDoc('license-a-armored', 'license', licenseA, vendor.active, true),
    requestDoc('request', request),
    requestDoc('request-2', request2),
    vendorDoc('lease', 'lease', lease, vendor.active),
    vendorDoc('sync', 'sync', sync, vendor.active),
  ];
  const idents: IdentDoc[] = [
    { kind: 'ident', id: 'lmid', text: lm.a.lmid, read: parseLmid },
    { kind: 'ident', id: 'online-key', text: generateOnlineKey((n) => rng.bytes(n)), read: parseOnlineKey },
  ];

  // Every original must read back as itself, or the fuzz would measure nothing.
  for (const doc of signed) {
    const read = doc.read(doc.presented);
    if (!read.ok) throw new Error(`fuzz corpus: ${doc.id} does not read: ${read.code}: ${read.detail}`);
    if (doc.canonicalOf(read.value) !== doc.text) throw new Error(`fuzz corpus: ${doc.id} does not read back as itself`);
  }
  for (const doc of idents) {
    const read = doc.read(doc.text);
    if (!read.ok || read.value !== doc.text) throw new Error(`fuzz corpus: ${doc.id} does not read back as itself`);
  }
  return { seed, trust, vendor, lm, signed, idents, docs: [...signed, ...idents] };
}
