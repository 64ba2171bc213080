/**
 * Property tests for every parser of untrusted input: round trips hold, nothing throws, and every mutation of a
 * valid document is refused with a code, unless it only adds what paste adds (whitespace), which is forgiven.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatTrustRoot,
  generateEd25519,
  parseTrustRoot,
  parseTrustRoots,
  rawPublicKey,
  readClockReset,
  readLmAnswer,
  readSignedTrustBundle,
  readTrustFile,
  createRequestCode,
  frameDocument,
  generateOnlineKey,
  generateSigningKey,
  issueLicense,
  normalizeDocumentText,
  parseLmid,
  parseOnlineKey,
  parseTrustBundle,
  readLicense,
  readRequestCode,
  sealEnvelope,
} from '../src/index.js';
import type { LicenseInput, Result } from '../src/index.js';
import { makeLm, makeWorld, trustFor, unwrap } from './helpers.js';

const { vendor, trust, input, lm } = makeWorld();
const stranger = generateSigningKey();
const revoked = generateSigningKey();
const trustWithRevoked = trustFor([
  { key: vendor, state: 'active' },
  { key: revoked, state: 'revoked' },
]);
const license = unwrap(issueLicense(input, vendor));
const rootKey = generateEd25519().privateKey;
const roots = unwrap(parseTrustRoots([formatTrustRoot(rawPublicKey(rootKey))]));
const otherLicense = unwrap(issueLicense({ ...input, serial: 2, nodes: { query: 30, storage: 50 } }, vendor));
const requestCode = unwrap(
  createRequestCode(
    {
      contact: { name: 'Ann', email: 'ann@example.com', phone: '' },
      host: { hostname: 'h', os: 'linux', lmVersion: '0.1.0' },
      product: null,
      nodes: { query: 3 },
      limits: {},
      features: [],
      months: 12,
      createdAt: '2026-11-24T00:00:00Z',
    },
    lm,
  ),
);

/** Rebuilds a document line around new payload bytes, fixing the length so only the signature can object. */
function withPayload(text: string, payload: Buffer, typ = text.slice(8, text.indexOf(':'))): string {
  return frameDocument(typ, payload.toString('base64url'), text.slice(text.lastIndexOf('.') + 1));
}
const payloadOf = (text: string) => Buffer.from(text.split('.')[1]!, 'base64url');
const signatureOf = (text: string) => text.slice(text.lastIndexOf('.') + 1);
const withSignature = (text: string, signature: string) => text.slice(0, text.lastIndexOf('.') + 1) + signature;

function expectRefusedOrSame(result: Result<{ key?: string; text?: string }>, original: string, mutant: string) {
  if (result.ok) {
    const same = normalizeDocumentText(mutant);
    expect(same.ok && same.value, 'an accepted mutant must be the original with paste noise').toBe(original);
  } else {
    expect(result.code).toMatch(/^[A-Z_]+$/);
    expect(result.detail.length).toBeGreaterThan(10);
  }
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const charMutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: fc.constantFrom(...B64URL, '.', ':', '=', '+') }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), char: fc.constantFrom(...B64URL, '.', ' ', '\n') }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat() }),
);
type CharMutation = typeof charMutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, m: CharMutation): string {
  const at = m.at % text.length;
  switch (m.kind) {
    case 'flip':
      return text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ (1 << m.bit)) + text.slice(at + 1);
    case 'replace':
      return text.slice(0, at) + m.char + text.slice(at + 1);
    case 'delete':
      return text.slice(0, at) + text.slice(at + 1);
    case 'insert':
      return text.slice(0, at) + m.char + text.slice(at);
    case 'truncate':
      return text.slice(0, at);
    case 'swap':
      return at + 1 < text.length ? text.slice(0, at) + text[at + 1] + text[at] + text.slice(at + 2) : text;
  }
}

describe('mutations of a signed license', () => {
  it('every character-level mutation is refused with a code, or is only forgiven paste noise', () => {
    fc.assert(
      fc.property(charMutation, (m) => {
        const mutant = mutate(license, m);
        expectRefusedOrSame(readLicense(mutant, trust), license, mutant);
      }),
      { numRuns: 1500 },
    );
  });

  it('every other character at the end of the payload or the signature is refused (their unused bits count)', () => {
    const ends = [license.lastIndexOf('.') - 1, license.length - 1];
    for (const at of ends) {
      for (const char of B64URL) {
        if (char === license[at]) continue;
        const mutant = license.slice(0, at) + char + license.slice(at + 1);
        expect(readLicense(mutant, trust).ok, `${char} at ${at}`).toBe(false);
      }
    }
  });

  it('every bit flip inside the payload bytes is refused, even re-encoded with a correct length', () => {
    const payload = payloadOf(license);
    fc.assert(
      fc.property(fc.nat(payload.length - 1), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const bytes = Buffer.from(payload);
        bytes[at]! ^= 1 << bit;
        const result = readLicense(withPayload(license, bytes), trust);
        expect(result.ok).toBe(false);
        expect(!result.ok && ['SIGNATURE_INVALID', 'MALFORMED', 'UNKNOWN_KEY', 'UNSUPPORTED_VERSION']).toContain(!result.ok && result.code);
      }),
      { numRuns: 400 },
    );
  });

  it('every bit flip in the signature is refused as SIGNATURE_INVALID (or MALFORMED if no longer base64url)', () => {
    const signature = Buffer.from(signatureOf(license), 'base64url');
    fc.assert(
      fc.property(fc.nat(63), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const bytes = Buffer.from(signature);
        bytes[at]! ^= 1 << bit;
        expect(readLicense(withSignature(license, bytes.toString('base64url')), trust)).toMatchObject({
          ok: false,
          code: 'SIGNATURE_INVALID',
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a re-serialised payload (same meaning, other bytes) is refused: verification never re-serialises', () => {
    const json = JSON.parse(payloadOf(license).toString()) as Record<string, unknown>;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.boolean(), (indent, reorder) => {
        const fields = reorder ? Object.fromEntries(Object.entries(json).reverse()) : json;
        const mutant = withPayload(license, Buffer.from(JSON.stringify(fields, null, indent)));
        expect(readLicense(mutant, trust)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
      }),
      { numRuns: 20 },
    );
  });

  it('swapped payloads and signatures between two valid licenses are refused', () => {
    expect(readLicense(withPayload(license, payloadOf(otherLicense)), trust)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    expect(readLicense(withSignature(license, signatureOf(otherLicense)), trust)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('the same body signed by another kid is refused as UNKNOWN_KEY, by a revoked one as KEY_REVOKED', () => {
    expect(readLicense(unwrap(issueLicense(input, stranger)), trust)).toMatchObject({ ok: false, code: 'UNKNOWN_KEY' });
    expect(readLicense(unwrap(issueLicense(input, revoked)), trustWithRevoked)).toMatchObject({ ok: false, code: 'KEY_REVOKED' });
  });

  it('a validly signed document of another typ is refused as WRONG_KIND, and a relabelled one as MALFORMED', () => {
    const { v: _v, kid: _kid, typ: _typ, ...body } = JSON.parse(payloadOf(license).toString()) as Record<string, unknown>;
    for (const typ of ['request', 'lease', 'sync'] as const) {
      expect(readLicense(sealEnvelope(typ, vendor, body), trust)).toMatchObject({ ok: false, code: 'WRONG_KIND' });
      const relabelled = withPayload(sealEnvelope(typ, vendor, body), payloadOf(sealEnvelope(typ, vendor, body)), 'license');
      expect(readLicense(relabelled, trust)).toMatchObject({ ok: false, code: 'MALFORMED' });
    }
  });

  it('whitespace anywhere is forgiven', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.constantFrom(' ', '\n', '\r\n', '\t')), { maxLength: 8 }), (inserts) => {
        let text = license;
        for (const [at, ws] of inserts) text = text.slice(0, at % text.length) + ws + text.slice(at % text.length);
        expect(readLicense(text, trust)).toMatchObject({ ok: true, value: { key: license } });
      }),
      { numRuns: 200 },
    );
  });
});

describe('mutations of a request code', () => {
  it('every character-level mutation is refused with a code, or is only forgiven paste noise', () => {
    fc.assert(
      fc.property(charMutation, (m) => {
        const mutant = mutate(requestCode, m);
        expectRefusedOrSame(readRequestCode(mutant), requestCode, mutant);
      }),
      { numRuns: 600 },
    );
  });
});

describe('round trips', () => {
  const role = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/);
  const day = fc.integer({ min: Date.parse('2020-01-01T00:00:00Z') / 1000, max: Date.parse('2040-01-01T00:00:00Z') / 1000 });
  it('any valid license reads back field for field', () => {
    fc.assert(
      fc.property(
        fc.dictionary(role, fc.integer({ min: 0, max: 1_000_000 }), { minKeys: 1, maxKeys: 4 }),
        fc.dictionary(role, fc.integer({ min: 0, max: 1000 }), { maxKeys: 3 }),
        fc.uniqueArray(role, { maxLength: 4 }),
        day,
        fc.integer({ min: 1, max: 3650 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc
          .string({ minLength: 1, maxLength: 60 })
          .filter((s) => s.trim() !== '' && ![...s].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127)),
        (nodes, limits, features, start, days, serial, customerName) => {
          const change: Partial<LicenseInput> = {
            nodes,
            limits,
            features,
            serial,
            customer: { id: 'cus_1', name: customerName },
            issuedAt: new Date(start * 1000).toISOString(),
            startsAt: new Date(start * 1000).toISOString(),
            expiresAt: new Date((start + days * 86_400) * 1000).toISOString(),
          };
          const read = unwrap(readLicense(unwrap(issueLicense({ ...input, ...change }, vendor)), trust));
          expect(read).toMatchObject(change);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('any online key and any LMID read back from their canonical and lower-case forms', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 15, maxLength: 15 }), fc.string({ minLength: 1, maxLength: 12 }), (bytes, host) => {
        const key = generateOnlineKey(() => bytes);
        expect(parseOnlineKey(key.toLowerCase())).toEqual({ ok: true, value: key });
        const lmid = makeLm(host).lmid;
        expect(parseLmid(lmid.toLowerCase())).toEqual({ ok: true, value: lmid });
      }),
      { numRuns: 100 },
    );
  });
});

describe('parsers never throw', () => {
  const anything = fc.oneof(
    fc.string({ maxLength: 700 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.anything(),
    fc.constantFrom(
      license.slice(0, 30),
      `${license.slice(0, 20)}..`,
      'tessera-license:9.a.b',
      '-----BEGIN TESSERA LICENSE-----',
      'tessera-sync:1.',
    ),
  );
  it('on any input, each parser returns a result with a code and a sentence', () => {
    fc.assert(
      fc.property(anything, (value) => {
        const results: Result<unknown>[] = [
          readLicense(value, trust),
          readRequestCode(value),
          parseOnlineKey(value),
          parseLmid(value),
          parseTrustBundle(typeof value === 'string' ? value : (JSON.stringify(value) ?? '')),
          // What a product runs on a hostile License Manager's answers, and a License Manager on its trust file.
          readSignedTrustBundle(value, roots),
          readSignedTrustBundle(value, roots, { followEndorsements: true }),
          readTrustFile(typeof value === 'string' ? value : (JSON.stringify(value) ?? '')),
          readLmAnswer(value, { lmid: lm.lmid, publicKey: lm.publicKey, nonce: 'n0nce-of-sixteen-chars' }),
          readClockReset(value, trust),
          parseTrustRoot(value),
          parseTrustRoots(typeof value === 'string' ? [value] : []),
        ];
        for (const result of results) {
          if (!result.ok) {
            expect(result.code).toMatch(/^[A-Z_]+$/);
            expect(result.detail).not.toBe('');
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});
