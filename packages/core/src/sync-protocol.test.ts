import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBase64Url,
  encodeBase64Url,
  generateOnlineKey,
  generateSigningKey,
  openVendorDocument,
  parseEnvelope,
  parseTrustBundle,
  sealEnvelope,
  serializeTrustBundle,
} from './index.js';
import { makeLm } from '../test/helpers.js';
import { buildSyncRequest, makeTimeToken, readSyncRequest } from './sync-protocol.js';
import type { SyncRequestInput } from './sync-protocol.js';

const lm = makeLm('machine:protocol-test');
const onlineKey = generateOnlineKey();

function input(change: Partial<SyncRequestInput> = {}): SyncRequestInput {
  return {
    onlineKey,
    lmid: lm.lmid,
    lmPublicKeyRaw: lm.lmPublicKeyRaw,
    hostDigest: lm.hostDigest,
    known: { licenseId: 'lic_abc', serial: 4 },
    usage: { query: 2, storage: 5 },
    lmVersion: '0.1.0',
    host: { hostname: 'db-1', os: 'linux x64' },
    ...change,
  };
}

/** The body fields of a valid request, for crafting bad ones. */
function body(change: Record<string, unknown> = {}): Record<string, unknown> {
  const payload = parseEnvelope(buildSyncRequest(input(), lm.privateKey), 'sync');
  if (!payload.ok) throw new Error(payload.detail);
  const { v: _v, kid: _kid, typ: _typ, ...fields } = payload.value.payload;
  return { ...fields, ...change };
}

describe('sync request', () => {
  it('reads back what was built', () => {
    const read = readSyncRequest(buildSyncRequest(input(), lm.privateKey));
    expect(read.ok && read.value).toEqual({
      lmid: lm.lmid,
      onlineKey,
      known: { licenseId: 'lic_abc', serial: 4 },
      usage: { query: 2, storage: 5 },
      lmVersion: '0.1.0',
      host: { hostname: 'db-1', os: 'linux x64' },
      lmPublicKeyRaw: new Uint8Array(lm.lmPublicKeyRaw),
      hostDigest: new Uint8Array(lm.hostDigest),
      clockMark: null,
    });
  });

  it('carries a clock mark only when one is given, and refuses one that is not a time', () => {
    const plain = buildSyncRequest(input(), lm.privateKey);
    expect(buildSyncRequest(input({ clockMark: null }), lm.privateKey)).toBe(plain);
    const mark = '2027-01-01T00:00:00.000Z';
    const marked = readSyncRequest(buildSyncRequest(input({ clockMark: mark }), lm.privateKey));
    expect(marked.ok && marked.value.clockMark).toBe(mark);
    expect(() => buildSyncRequest(input({ clockMark: 'next tuesday' }), lm.privateKey)).toThrow(/clockMark must be an ISO 8601 time/);
  });

  it('is byte-identical for identical inputs, whatever the order of usage, so LC can cache its verdict', () => {
    const first = buildSyncRequest(input(), lm.privateKey);
    expect(buildSyncRequest(input({ usage: { storage: 5, query: 2 } }), lm.privateKey)).toBe(first);
    expect(buildSyncRequest(input({ usage: { query: 3, storage: 5 } }), lm.privateKey)).not.toBe(first);
    expect(buildSyncRequest(input({ known: { licenseId: 'lic_abc', serial: 5 } }), lm.privateKey)).not.toBe(first);
  });

  it('carries no clock reading or nonce: exactly the documented fields', () => {
    const envelope = parseEnvelope(buildSyncRequest(input({ known: null }), lm.privateKey), 'sync');
    expect(envelope.ok && Object.keys(envelope.value.payload)).toEqual([
      'v',
      'kid',
      'typ',
      'msg',
      'lmid',
      'lmPublicKey',
      'hostDigest',
      'onlineKey',
      'known',
      'usage',
      'lmVersion',
      'host',
    ]);
    expect(envelope.ok && envelope.value.kid).toBe(lm.lmid);
    expect(envelope.ok && envelope.value.payload.known).toBeNull();
  });

  it('refuses an LMID that does not derive from the key inside (LMID_MISMATCH)', () => {
    const other = makeLm();
    // Signed by our key, claiming the other LM's LMID (as kid too).
    const claimsOther = sealEnvelope('sync', { kid: other.lmid, privateKey: lm.privateKey }, body({ lmid: other.lmid }));
    expect(readSyncRequest(claimsOther)).toMatchObject({ ok: false, code: 'LMID_MISMATCH' });
    // Our LMID, but another host's digest.
    const otherHost = sealEnvelope(
      'sync',
      { kid: lm.lmid, privateKey: lm.privateKey },
      body({ hostDigest: encodeBase64Url(other.hostDigest) }),
    );
    expect(readSyncRequest(otherHost)).toMatchObject({ ok: false, code: 'LMID_MISMATCH' });
    // kid that is not the LMID.
    const otherKid = sealEnvelope('sync', { kid: other.lmid, privateKey: lm.privateKey }, body());
    expect(readSyncRequest(otherKid)).toMatchObject({ ok: false, code: 'LMID_MISMATCH' });
  });

  it('refuses a signature by another key than the one inside (SIGNATURE_INVALID)', () => {
    const thief = makeLm();
    const forged = sealEnvelope('sync', { kid: lm.lmid, privateKey: thief.privateKey }, body());
    expect(readSyncRequest(forged)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('refuses a changed field even when the text stays well-formed', () => {
    const text = buildSyncRequest(input(), lm.privateKey);
    const [head, payload, signature] = text.split('.') as [string, string, string];
    const json = Buffer.from(decodeBase64Url(payload)!).toString('utf8').replace('"query":2', '"query":0');
    const altered = `${head}.${encodeBase64Url(Buffer.from(json))}.${signature}`;
    const fixedLength = altered.replace(/^tessera-sync:\d+/, `tessera-sync:${altered.length}`);
    expect(readSyncRequest(fixedLength)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('refuses another msg and another typ', () => {
    const wrongMsg = sealEnvelope('sync', { kid: lm.lmid, privateKey: lm.privateKey }, body({ msg: 'time' }));
    expect(readSyncRequest(wrongMsg)).toMatchObject({ ok: false, code: 'MALFORMED' });
    const asRequestCode = sealEnvelope('request', { kid: lm.lmid, privateKey: lm.privateKey }, body());
    expect(readSyncRequest(asRequestCode)).toMatchObject({ ok: false, code: 'WRONG_KIND' });
    const timeToken = makeTimeToken(Date.UTC(2026, 0, 1), generateSigningKey());
    expect(readSyncRequest(timeToken)).toMatchObject({ ok: false, code: 'MALFORMED' });
  });

  it.each([
    ['a non-canonical online key', { onlineKey: onlineKey.toLowerCase() }],
    ['an online key with a typo', { onlineKey: onlineKey.slice(0, -1) + (onlineKey.endsWith('0') ? '1' : '0') }],
    ['negative usage', { usage: { query: -1 } }],
    ['a usage role that is no name', { usage: { __proto__x: 1 } }],
    ['known without a serial', { known: { licenseId: 'lic_abc' } }],
    ['a short public key', { lmPublicKey: encodeBase64Url(new Uint8Array(31)) }],
    ['a control character in the host name', { host: { hostname: 'a\nb', os: 'linux' } }],
    ['no lmVersion', { lmVersion: '' }],
  ])('refuses %s (MALFORMED)', (_what, change) => {
    const text = sealEnvelope('sync', { kid: lm.lmid, privateKey: lm.privateKey }, body(change));
    expect(readSyncRequest(text)).toMatchObject({ ok: false, code: 'MALFORMED' });
  });

  it('will not build a request that LC would refuse', () => {
    expect(() => buildSyncRequest(input({ lmid: makeLm().lmid }), lm.privateKey)).toThrow(/does not derive/);
    expect(() => buildSyncRequest(input(), makeLm().privateKey)).toThrow(/does not match/);
    expect(() => buildSyncRequest(input({ usage: { query: 1.5 } }), lm.privateKey)).toThrow(/usage/);
  });

  it('never throws on arbitrary text or a one-character change, and accepts no change but the original', () => {
    const text = buildSyncRequest(input(), lm.privateKey);
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.constantFrom(...'AZaz09-_.:'), (at, char) => {
        const mutated = text.slice(0, at) + char + text.slice(at + 1);
        const read = readSyncRequest(mutated);
        expect(read.ok).toBe(mutated === text);
      }),
    );
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(readSyncRequest(value).ok).toBe(false);
      }),
    );
  });
});

describe('time token', () => {
  it('is a vendor-signed sync document saying msg "time" and lcTime in ISO UTC', () => {
    const vendor = generateSigningKey();
    const trust = parseTrustBundle(serializeTrustBundle([{ kid: vendor.kid, state: 'active', publicKeyRaw: vendor.publicKeyRaw }]));
    if (!trust.ok) throw new Error(trust.detail);
    const opened = openVendorDocument(makeTimeToken(Date.UTC(2026, 10, 24, 19, 5, 7, 250), vendor), 'sync', trust.value);
    expect(opened.ok && opened.value.payload).toEqual({
      v: 1,
      kid: vendor.kid,
      typ: 'sync',
      msg: 'time',
      lcTime: '2026-11-24T19:05:07.250Z',
    });
  });
});
