/** Test setup shared by core's tests: a vendor keyring, a trust bundle, an LM identity and a license input. */
import {
  deriveLmid,
  fingerprintDigest,
  generateEd25519,
  generateSigningKey,
  parseTrustBundle,
  rawPublicKey,
  serializeTrustBundle,
} from '../src/index.js';
import type { LicenseInput, SigningKey, TrustBundle, VendorKeyState } from '../src/index.js';

export function trustFor(keys: { key: SigningKey; state: VendorKeyState }[]): TrustBundle {
  const bundle = parseTrustBundle(
    serializeTrustBundle(keys.map(({ key, state }) => ({ kid: key.kid, state, publicKeyRaw: key.publicKeyRaw }))),
  );
  if (!bundle.ok) throw new Error(bundle.detail);
  return bundle.value;
}

export function makeLm(fingerprint = 'host-a') {
  const { privateKey, publicKey } = generateEd25519();
  const hostDigest = fingerprintDigest(fingerprint);
  const lmPublicKeyRaw = rawPublicKey(publicKey);
  return { privateKey, publicKey, lmPublicKeyRaw, hostDigest, lmid: deriveLmid(lmPublicKeyRaw, hostDigest) };
}

export const NOW = Date.parse('2026-11-24T12:00:00Z');

export function makeWorld() {
  const vendor = generateSigningKey();
  const trust = trustFor([{ key: vendor, state: 'active' }]);
  const lm = makeLm();
  const input: LicenseInput = {
    id: 'lic_test1',
    serial: 1,
    product: 'graphdb',
    customer: { id: 'cus_test', name: 'Test Customer' },
    nodes: { query: 3, storage: 5 },
    limits: { remote_clusters: 2 },
    features: ['scan', 'enforce'],
    issuedAt: '2026-11-01T00:00:00Z',
    startsAt: '2026-11-01T00:00:00Z',
    expiresAt: '2027-11-01T00:00:00Z',
    mode: 'offline',
    lmid: lm.lmid,
  };
  return { vendor, trust, lm, input, context: { now: NOW, lmid: lm.lmid, product: 'graphdb' } };
}

export function unwrap<T>(result: { ok: true; value: T } | { ok: false; code: string; detail: string }): T {
  if (!result.ok) throw new Error(`${result.code}: ${result.detail}`);
  return result.value;
}
