import { describe, expect, it } from 'vitest';
import { generateSigningKey } from './keyring.js';
import { armor, normalizeDocumentText, parseEnvelope, sealEnvelope, verifyEnvelope } from './envelope.js';
import { publicKeyFromRaw } from './crypto.js';

const key = generateSigningKey();
const publicKey = publicKeyFromRaw(key.publicKeyRaw)!;
const text = sealEnvelope('lease', key, { leaseId: 'lse_1', role: 'query', note: 'ünïcödé' });

function parsed(input: string) {
  const result = parseEnvelope(input, 'lease');
  if (!result.ok) throw new Error(result.detail);
  return result.value;
}

describe('sealing and opening', () => {
  it('makes one line that names its kind and length, and opens with the signer key', () => {
    expect(text).toMatch(/^tessera-lease:\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/);
    expect(text.startsWith(`tessera-lease:${text.length}.`)).toBe(true);
    const envelope = parsed(text);
    expect(envelope.payload).toMatchObject({ v: 1, kid: key.kid, typ: 'lease', leaseId: 'lse_1', note: 'ünïcödé' });
    expect(verifyEnvelope(envelope, publicKey)).toBe(true);
  });

  it('signs the exact payload bytes under a purpose prefix, so a signature cannot move to another kind', () => {
    const envelope = parsed(text);
    expect(verifyEnvelope({ ...envelope, typ: 'license' }, publicKey)).toBe(false);
    expect(verifyEnvelope(envelope, generateSigningKey().privateKey)).toBe(false);
  });

  it('refuses a body that tries to set the envelope fields', () => {
    expect(() => sealEnvelope('lease', key, { kid: 'other' })).toThrow(/kid/);
  });

  it('keeps the exact bytes: the payload is never re-serialised', () => {
    const envelope = parsed(text);
    expect(Buffer.from(envelope.payloadBytes).toString('base64url')).toBe(text.split('.')[1]);
  });
});

describe('forgiving paste', () => {
  it('accepts surrounding whitespace, line breaks, spaces and zero-width characters inside', () => {
    const messy = `\n\t ${text.slice(0, 40)}\r\n${text.slice(40, 90)} \u200b${text.slice(90)}\ufeff \n`;
    expect(parsed(messy).text).toBe(text);
  });

  it('accepts the armored form and produces it with 64-character lines', () => {
    const block = armor(text);
    expect(block.split('\n')[0]).toBe('-----BEGIN TESSERA LEASE-----');
    expect(
      block
        .split('\n')
        .slice(1, -1)
        .every((line) => line.length <= 64),
    ).toBe(true);
    expect(parsed(`Here is your key:\n${block}\nThanks!`).text).toBe(text);
  });

  it('says when an armored block has lost its END line', () => {
    const result = normalizeDocumentText(armor(text).split('\n').slice(0, 3).join('\n'));
    expect(result).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(!result.ok && result.detail).toMatch(/cut short/);
  });
});

describe('errors a person can act on', () => {
  const failure = (input: unknown, expected: 'lease' | 'license' = 'lease') => {
    const result = parseEnvelope(input, expected);
    if (result.ok) throw new Error('expected a failure');
    return result;
  };

  it('says how much of a cut-short key arrived', () => {
    expect(failure(text.slice(0, 120)).detail).toBe(
      `The seat lease token is cut short (120 of ${text.length} characters). Copy it again, all of it.`,
    );
    expect(failure(text.slice(0, 16)).detail).toMatch(/cut short/);
  });

  it('says when something else was pasted along', () => {
    expect(failure(text + 'AAAA').detail).toMatch(/4 characters more than it should/);
  });

  it('names the kind that was pasted instead', () => {
    expect(failure(text, 'license')).toMatchObject({ code: 'WRONG_KIND', detail: 'This is a seat lease token, not a license key.' });
    expect(failure('MM90A-9H4Q0-W093M-ABCDE-FGHJK', 'license')).toMatchObject({ code: 'WRONG_KIND' });
    expect(failure('QPDH-7K2M-W8RT-0C4X', 'license').detail).toMatch(/LMID/);
  });

  it('refuses a label that disagrees with the signed typ', () => {
    const relabelled = text.replace('tessera-lease:', 'tessera-sync:').replace(/:\d+\./, (m) => `:${Number(m.slice(1, -1)) - 1}.`);
    expect(failure(relabelled.replace('tessera-sync', 'tessera-lease').replace(/^tessera-lease/, 'tessera-sync'), 'lease').code).toBe(
      'WRONG_KIND',
    );
    const result = parseEnvelope(relabelled, 'sync');
    expect(result).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(!result.ok && result.detail).toMatch(/label says sync but its contents say "lease"/);
  });

  it('refuses non-text, empty, oversized and garbled input without throwing', () => {
    expect(failure(undefined).code).toBe('MALFORMED');
    expect(failure(42).code).toBe('MALFORMED');
    expect(failure('   ').detail).toMatch(/empty/);
    expect(failure('x'.repeat(70_000)).detail).toMatch(/far too long/);
    expect(failure('hello world').detail).toMatch(/begins with "tessera-lease:"/);
    expect(failure(text.replace('.', '.$')).code).toBe('MALFORMED');
  });

  it('refuses a signature of the wrong size', () => {
    const [head, payload] = text.split('.');
    const short = `${payload}.${'A'.repeat(80)}`;
    const label = head!.slice(0, head!.indexOf(':') + 1);
    const total = label.length + 3 + 1 + short.length;
    expect(failure(`${label}${total}.${short}`).detail).toMatch(/signature has 80 characters instead of 86/);
  });
});
