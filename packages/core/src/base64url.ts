const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Strict base64url decode: no padding, only the url alphabet, and canonical (the unused low bits of the last
 * character must be zero). Non-canonical input is refused so that no two strings decode to the same bytes;
 * otherwise a flipped padding bit would yield a "different" key that still verifies.
 */
export function decodeBase64Url(text: string): Uint8Array | null {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return null;
  return bytes;
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
