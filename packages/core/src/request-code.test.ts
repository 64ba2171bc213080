import { describe, expect, it } from 'vitest';
import { createRequestCode, readRequestCode } from './request-code.js';
import type { RequestCodeInput } from './request-code.js';
import { sealEnvelope } from './envelope.js';
import { encodeBase64Url } from './base64url.js';
import { rawPublicKey } from './crypto.js';
import { makeLm, unwrap } from '../test/helpers.js';

const lm = makeLm('host-1');
const input: RequestCodeInput = {
  contact: { name: 'Ann Operator', email: 'ann@customer.example', phone: '+1 (555) 010-0100' },
  host: { hostname: 'lm-1', os: 'linux x64', lmVersion: '0.1.0' },
  product: 'guard',
  nodes: { enforcer: 10 },
  limits: { remote_clusters: 2 },
  features: ['scan', 'enforce'],
  months: 12,
  createdAt: '2026-11-24T00:00:00Z',
};

describe('request codes', () => {
  it('carry the LMID, the LM key, contact and quantities, and verify', () => {
    const code = unwrap(createRequestCode(input, lm));
    expect(code.startsWith('tessera-request:')).toBe(true);
    const read = unwrap(readRequestCode(`\n${code}\n`));
    expect(read).toMatchObject({
      ...input,
      lmid: lm.lmid,
      host: { ...input.host },
      lmPublicKey: encodeBase64Url(rawPublicKey(lm.publicKey)),
    });
  });

  it('carry the LM clock high-water mark when given (a clock reset answers it), and read older codes without it', () => {
    const withMark = unwrap(readRequestCode(unwrap(createRequestCode({ ...input, highWater: '2027-01-02T03:04:05.000Z' }, lm))));
    expect(withMark.highWater).toBe('2027-01-02T03:04:05.000Z');
    const without = unwrap(createRequestCode(input, lm));
    expect(Buffer.from(without.split('.')[1]!, 'base64url').toString()).not.toContain('highWater');
    expect(unwrap(readRequestCode(without)).highWater).toBeNull();
    expect(createRequestCode({ ...input, highWater: 'last week' }, lm)).toMatchObject({ ok: false, code: 'MALFORMED' });
  });

  it('are refused when the LMID does not derive from the key that signed them', () => {
    const other = makeLm('host-2');
    const body = {
      ...input,
      lmid: other.lmid,
      lmPublicKey: encodeBase64Url(rawPublicKey(lm.publicKey)),
      host: { ...input.host, fingerprintDigest: encodeBase64Url(lm.hostDigest) },
    };
    const forged = sealEnvelope('request', { kid: other.lmid, privateKey: lm.privateKey }, body);
    expect(readRequestCode(forged)).toMatchObject({ ok: false, code: 'LMID_MISMATCH' });
  });

  it('are refused when signed by another key than the one they carry', () => {
    const code = unwrap(createRequestCode(input, lm));
    const intruder = makeLm('host-1');
    const envelope = JSON.parse(Buffer.from(code.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const { v: _v, kid, typ: _typ, ...body } = envelope;
    const resigned = sealEnvelope('request', { kid: kid as string, privateKey: intruder.privateKey }, body);
    expect(readRequestCode(resigned)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it.each([
    ['an email without a domain', { contact: { ...input.contact, email: 'ann@' } }, /not an email address/],
    ['a phone with letters', { contact: { ...input.contact, phone: 'call me' } }, /phone may hold only digits/],
    ['no name', { contact: { ...input.contact, name: '  ' } }, /contact name is required/],
    ['zero months', { months: 0 }, /months must be a whole number from 1 to 120/],
    ['no nodes', { nodes: {} }, /nodes must name at least one entry/],
  ])('refuse %s with a sentence', (_name, change, message) => {
    const result = createRequestCode({ ...input, ...change } as RequestCodeInput, lm);
    expect(result).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(!result.ok && result.detail).toMatch(message);
  });
});
