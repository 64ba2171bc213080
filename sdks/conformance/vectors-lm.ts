/** The License Managers of the vectors: core's fixture LM (the LMID its licenses are bound to) and another one. */
import { deriveLmid, encodeBase64Url, fingerprintDigest, privateKeyFromSeed, rawPublicKey, sealEnvelope } from '@tessera/core';
import type { KeyObject } from '@tessera/core';
import { seeded } from './vectors-keys.js';

export interface SeededLm {
  lmid: string;
  privateKey: KeyObject;
  /** base64url, as GET /v1/license shows them. */
  lmPublicKey: string;
  hostDigest: string;
}

export function seededLm(label: string, host: string): SeededLm {
  const privateKey = privateKeyFromSeed(seeded(label))!;
  const raw = rawPublicKey(privateKey);
  const digest = fingerprintDigest(host);
  return { lmid: deriveLmid(raw, digest), privateKey, lmPublicKey: encodeBase64Url(raw), hostDigest: encodeBase64Url(digest) };
}

/** Core's fixture LM: the licenses of core's fixtures are bound to it. */
export const lm = seededLm('license manager key', 'fixture-host-machine-id');
export const otherLm = seededLm('another license manager key', 'another-host-machine-id');

/** A lease token as the LM signs it (packages/manager/src/leases/seats.ts). */
export function leaseToken(by: SeededLm, fields: Record<string, unknown>, kid = by.lmid): string {
  return sealEnvelope('lease', { kid, privateKey: by.privateKey }, fields);
}

/** Flips one character of the signature: the same length, another signature. */
export function forgeSignature(text: string): string {
  const last = text.lastIndexOf('.');
  const i = last + 10;
  return text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
}

/** Rewrites the payload's JSON text and re-encodes it, keeping the signature: only the signature can tell. */
export function alterPayload(text: string, from: string, to: string): string {
  const [head, payload, signature] = text.split('.') as [string, string, string];
  const json = Buffer.from(payload, 'base64url').toString('utf8');
  if (!json.includes(from)) throw new Error(`the payload has no ${from}`);
  const forged = Buffer.from(json.replace(from, to)).toString('base64url');
  if (forged.length !== payload.length) throw new Error('the alteration changed the length');
  return `${head}.${forged}.${signature}`;
}
