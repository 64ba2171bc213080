const BASE64URL = /^[A-Za-z0-9_-]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Strict base64url decode: no padding, only the url alphabet, and canonical (the unused low bits of the last
 * character must be zero). Non-canonical input is refused so that no two strings decode to the same bytes;
 * otherwise a flipped padding bit would yield a "different" key that still verifies.
 */
export function decodeBase64Url(text: string): Uint8Array | null {
  const tail = text.length % 4;
  if (tail === 1 || !BASE64URL.test(text)) return null;
  // With 2 (or 3) characters in the last group, the last one carries 4 (or 2) unused bits.
  if (tail !== 0 && ALPHABET.indexOf(text[text.length - 1]!) & (tail === 2 ? 0b1111 : 0b11)) return null;
  return Buffer.from(text, 'base64url');
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
