import { describe, expect, it } from 'vitest';
import { deriveLmid, fingerprintDigest, parseLmid } from './lmid.js';
import { generateOnlineKey, maskOnlineKey, parseOnlineKey } from './online-key.js';
import { rawPublicKey } from './crypto.js';
import { makeLm } from '../test/helpers.js';

describe('LMID', () => {
  const lm = makeLm('machine-1');

  it('is four groups of four with a check character, derived from the key and the host', () => {
    expect(lm.lmid).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(deriveLmid(rawPublicKey(lm.publicKey), fingerprintDigest('machine-1'))).toBe(lm.lmid);
  });
  it('differs on another host with the same key, and for another key on the same host', () => {
    expect(deriveLmid(rawPublicKey(lm.publicKey), fingerprintDigest('machine-2'))).not.toBe(lm.lmid);
    expect(makeLm('machine-1').lmid).not.toBe(lm.lmid);
  });
  it('is read back however it was typed', () => {
    const loose = ` ${lm.lmid.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'i')} `;
    expect(parseLmid(loose)).toEqual({ ok: true, value: lm.lmid });
    expect(parseLmid(lm.lmid.replace(/-/g, ''))).toEqual({ ok: true, value: lm.lmid });
  });
  it('catches a typo with the check character', () => {
    const i = 5;
    const wrong = lm.lmid.slice(0, i) + (lm.lmid[i] === 'A' ? 'B' : 'A') + lm.lmid.slice(i + 1);
    expect(parseLmid(wrong)).toMatchObject({ ok: false, code: 'CHECKSUM_MISMATCH' });
  });
  it('says what is wrong with text that cannot be an LMID', () => {
    expect(parseLmid('QPDH-7K2U')).toMatchObject({ ok: false, code: 'MALFORMED', detail: expect.stringMatching(/"U" \(character 8\)/) });
    expect(parseLmid('QPDH-7K2M')).toMatchObject({ ok: false, code: 'MALFORMED', detail: expect.stringMatching(/this has 8/) });
    expect(parseLmid('')).toMatchObject({ ok: false, detail: 'The LMID is empty.' });
    expect(parseLmid(null)).toMatchObject({ ok: false, code: 'MALFORMED' });
  });
});

describe('online key', () => {
  it('is 5 groups of 5 Crockford characters and reads back from a sloppy paste', () => {
    const key = generateOnlineKey();
    expect(key).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$/);
    expect(parseOnlineKey(`\n ${key.toLowerCase().replace(/-/g, ' ')}\n`)).toEqual({ ok: true, value: key });
  });
  it('uses the randomness it is given', () => {
    expect(generateOnlineKey(() => new Uint8Array(15))).toBe(generateOnlineKey(() => new Uint8Array(15)));
    expect(generateOnlineKey()).not.toBe(generateOnlineKey());
  });
  it('catches every single wrong character and every swap of neighbours without a network call', () => {
    const key = generateOnlineKey(() => Uint8Array.from({ length: 15 }, (_, i) => i * 17 + 3));
    const chars = key.replace(/-/g, '');
    for (let i = 0; i < chars.length; i++) {
      for (const c of '0123456789ABCDEFGHJKMNPQRSTVWXYZ') {
        if (c === chars[i]) continue;
        expect(parseOnlineKey(chars.slice(0, i) + c + chars.slice(i + 1))).toMatchObject({ ok: false, code: 'CHECKSUM_MISMATCH' });
      }
      if (i + 1 < chars.length && chars[i] !== chars[i + 1]) {
        const swapped = chars.slice(0, i) + chars[i + 1] + chars[i] + chars.slice(i + 2);
        expect(parseOnlineKey(swapped)).toMatchObject({ ok: false, code: 'CHECKSUM_MISMATCH' });
      }
    }
  });
  it('tells an offline key or a short paste apart from a typo', () => {
    expect(parseOnlineKey('tessera-license:600.abc.def')).toMatchObject({ ok: false, code: 'WRONG_KIND' });
    expect(parseOnlineKey('ABCDE-FGHJK')).toMatchObject({ ok: false, code: 'MALFORMED', detail: expect.stringMatching(/this has 10/) });
    expect(parseOnlineKey('   ')).toMatchObject({ ok: false, detail: 'The online key is empty: nothing was pasted.' });
  });
  it('is masked to its last group for display', () => {
    expect(maskOnlineKey('MM90A-9H4Q0-W093M-ABCDE-FGHJK')).toBe('*****-*****-*****-*****-FGHJK');
  });
});
