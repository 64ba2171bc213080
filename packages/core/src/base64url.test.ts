import { describe, expect, it } from 'vitest';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';

describe('strict base64url', () => {
  it('round-trips bytes', () => {
    const bytes = Uint8Array.from({ length: 50 }, (_, i) => (i * 37) % 256);
    expect(decodeBase64Url(encodeBase64Url(bytes))).toEqual(Buffer.from(bytes));
  });
  it('refuses padding, the standard alphabet and impossible lengths', () => {
    expect(decodeBase64Url('YQ==')).toBeNull();
    expect(decodeBase64Url('a+b/')).toBeNull();
    expect(decodeBase64Url('abcde')).toBeNull();
  });
  it('refuses non-canonical text whose unused bits are set, so no two texts decode to the same bytes', () => {
    expect(decodeBase64Url('YQ')).toEqual(Buffer.from('a'));
    expect(decodeBase64Url('YR')).toBeNull();
  });
});
