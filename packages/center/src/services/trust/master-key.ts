/**
 * Secrets at rest under the License Center's master key (signing key seeds today). AES-256-GCM with a fresh
 * 96-bit IV per secret. The label (a signing key's kid, say) is bound as additional authenticated data, so a
 * sealed secret copied into another row does not open there.
 *
 * Sealed form: "v1.<base64url IV>.<base64url ciphertext followed by the 16-byte tag>". The version prefix lets a
 * later algorithm live next to this one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { decodeBase64Url, encodeBase64Url } from '@tessera/core';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function checkMasterKey(masterKey: Uint8Array): void {
  if (masterKey.length !== KEY_BYTES) throw new Error(`The master key must be ${KEY_BYTES} bytes; got ${masterKey.length}.`);
}

/** Encrypts `plaintext` under the master key, bound to `label`. Throws only for a master key of the wrong size. */
export function sealSecret(masterKey: Uint8Array, plaintext: Uint8Array, label: string): string {
  checkMasterKey(masterKey);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(label, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${encodeBase64Url(iv)}.${encodeBase64Url(body)}`;
}

/**
 * Decrypts a sealed secret. Null when it does not open: another master key, another label, altered or
 * malformed text. Never throws, so callers decide how to word the failure.
 */
export function openSecret(masterKey: Uint8Array, sealed: string, label: string): Uint8Array | null {
  if (masterKey.length !== KEY_BYTES) return null;
  const parts = sealed.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return null;
  const iv = decodeBase64Url(parts[1]!);
  const body = decodeBase64Url(parts[2]!);
  if (!iv || iv.length !== IV_BYTES || !body || body.length < TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(label, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
  } catch {
    return null;
  }
}
