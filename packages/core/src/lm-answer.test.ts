import { describe, expect, it } from 'vitest';
import { readLmAnswer, signLmAnswer } from './lm-answer.js';
import { makeLm, unwrap } from '../test/helpers.js';

describe('License Manager answers', () => {
  const lm = makeLm();
  const body = {
    nonce: 'n0nce-of-sixteen-chars',
    lmid: lm.lmid,
    license: { id: 'lic_a1', serial: 4 },
    bundleSerial: 2,
    lmTime: '2026-12-07T10:00:00.000Z',
    highWater: '2026-12-07T09:59:00.000Z',
  };
  const text = signLmAnswer(body, { lmid: lm.lmid, privateKey: lm.privateKey });
  const expected = { lmid: lm.lmid, publicKey: lm.publicKey, nonce: body.nonce };

  it('verify for the nonce that was sent, with the LM key', () => {
    expect(unwrap(readLmAnswer(text, expected))).toMatchObject({
      ...body,
      lmTimeMs: Date.parse(body.lmTime),
      highWaterMs: Date.parse(body.highWater),
    });
  });
  it('refuse a replayed answer (another nonce) with STALE_ANSWER', () => {
    expect(readLmAnswer(text, { ...expected, nonce: 'a-new-nonce-0000000' })).toMatchObject({ ok: false, code: 'STALE_ANSWER' });
  });
  it('refuse an answer of another LM, or altered, with SIGNATURE_INVALID', () => {
    const other = makeLm('host-b');
    const foreign = signLmAnswer({ ...body, lmid: other.lmid }, { lmid: other.lmid, privateKey: other.privateKey });
    expect(readLmAnswer(foreign, expected)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    const impostor = signLmAnswer(body, { lmid: lm.lmid, privateKey: other.privateKey });
    expect(readLmAnswer(impostor, expected)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });
  it('refuse bad fields with MALFORMED', () => {
    const sign = (over: object) => signLmAnswer({ ...body, ...over } as typeof body, { lmid: lm.lmid, privateKey: lm.privateKey });
    expect(readLmAnswer(sign({ lmTime: 'now' }), expected)).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(readLmAnswer(sign({ license: { id: 'x', serial: 1 } }), expected)).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(readLmAnswer(sign({ bundleSerial: 0 }), expected)).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(unwrap(readLmAnswer(sign({ license: null, bundleSerial: null, highWater: null }), expected))).toMatchObject({
      license: null,
      highWaterMs: null,
    });
  });
});
