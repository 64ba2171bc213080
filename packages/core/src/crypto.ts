/** The only place core touches node:crypto. Pure computation: no I/O, no clock. */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export type { KeyObject };

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The encodings of the Ed25519 points of small order (libsodium's list; the sign bit of the last byte is
 * ignored). OpenSSL accepts them as public keys, and with such a key a crafted signature verifies for any
 * message, so a self-signed document (a request code) could be made without any private key.
 */
const SMALL_ORDER_POINTS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((hex) => Buffer.from(hex, 'hex'));

export function isSmallOrderPoint(raw: Uint8Array): boolean {
  return SMALL_ORDER_POINTS.some((point) => {
    for (let i = 0; i < 31; i++) if (point[i] !== raw[i]) return false;
    return point[31] === (raw[31]! & 0x7f);
  });
}

/** A raw 32-byte Ed25519 public key as a KeyObject, or null when the bytes are not a usable key. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject | null {
  if (raw.length !== 32 || isSmallOrderPoint(raw)) return null;
  try {
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

/** A raw 32-byte Ed25519 seed as a private KeyObject, or null. */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject | null {
  if (seed.length !== 32) return null;
  try {
    return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  } catch {
    return null;
  }
}

export function rawPublicKey(key: KeyObject): Uint8Array {
  const der =
    key.type === 'private' ? createPublicKey(key).export({ format: 'der', type: 'spki' }) : key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

export function rawSeed(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  return new Uint8Array(der.subarray(der.length - 32));
}

/** A fresh Ed25519 key pair (the randomness comes from the OS through node:crypto). */
export function generateEd25519(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

export function ed25519Sign(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKey));
}

export function ed25519Verify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}

export function sha256(...parts: (Uint8Array | string)[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}
