/**
 * The keys of the conformance vectors: fixed seeds (the same as core's fixtures, so the license texts there verify
 * with these vendor keys), vendor roots, and root-signed bundles of core's fixture keys. Test keys: public.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  endorseRoot,
  formatTrustRoot,
  privateKeyFromSeed,
  rawPublicKey,
  rootKidForPublicKey,
  sha256,
  signTrustBundle,
} from '@tessera/core';
import type { Signer } from '@tessera/core';

const here = dirname(fileURLToPath(import.meta.url));

/** The same seeds as core's fixtures, so the license texts there verify with these keys. */
export function seeded(label: string): Uint8Array {
  return sha256('tessera test fixture seed/', label);
}

/** A root key from a seed: its text (what a product compiles in) and its signer. */
export interface SeededRoot {
  text: string;
  signer: Signer;
}

export function seededRoot(label: string): SeededRoot {
  const privateKey = privateKeyFromSeed(seeded(label))!;
  const raw = rawPublicKey(privateKey);
  return { text: formatTrustRoot(raw), signer: { kid: rootKidForPublicKey(raw), privateKey } };
}

export function must(result: { ok: true; value: string } | { ok: false; detail: string }): string {
  if (!result.ok) throw new Error(result.detail);
  return result.value;
}

/** Core's known-answer fixtures, as committed. */
export function coreFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(here, '../../packages/core/test/fixtures', name), 'utf8')) as T;
}

export const ISSUED = '2026-01-01T00:00:00Z';
export const root = seededRoot('vendor root');
export const nextRoot = seededRoot('vendor root after rotation');
export const strangerRoot = seededRoot('root of another vendor');

/** A root-signed bundle of core's fixture vendor keys (active, retired, revoked). */
export function fixtureBundle(serial: number, by: SeededRoot = root, endorsements?: string[]): string {
  const bundle = JSON.parse(readFileSync(join(here, '../../packages/core/test/fixtures/trust-bundle.json'), 'utf8')) as {
    keys: { kid: string; state: 'active' | 'retired' | 'revoked'; publicKey: string }[];
  };
  const keys = bundle.keys.map((k) => ({ kid: k.kid, state: k.state, publicKeyRaw: Buffer.from(k.publicKey, 'base64url') }));
  return signTrustBundle({ serial, issuedAt: ISSUED, keys, ...(endorsements ? { endorsements } : {}) }, by.signer);
}

export const endorsement = endorseRoot(nextRoot.text, root.signer);
