/**
 * The identity of License Manager replicas sharing a database: one installation, kept in the database, so every
 * replica shows the same LMID. Its Ed25519 seed is encrypted (AES-256-GCM) under a key derived from the HA secret
 * every replica is given (ha.secret), bound to the installation id and fingerprint digest, so whoever reads the
 * database without the secret can neither sign as this License Manager nor move the key to another installation.
 * The LMID derives from the key and the installation's fingerprint digest: a new installation's digest is that of
 * its random installation id; one moved in from a single License Manager keeps that one's digest, and so its LMID.
 *
 * The sealed state (state/sealed-state.ts: serials, clock mark, trust bundle) is a row sealed exactly as the single
 * License Manager's identity.seal file is, with the key derived from the identity seed.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import {
  decodeBase64Url,
  deriveLmid,
  encodeBase64Url,
  fail,
  fingerprintDigest,
  generateEd25519,
  ok,
  privateKeyFromSeed,
  rawPublicKey,
  rawSeed,
} from '@tessera/core';
import type { Result } from '@tessera/core';
import type { LmIdentity } from '../identity.js';
import { EMPTY_SEALED_STATE, sealKey, sealState, unsealState } from '../state/sealed-state.js';
import type { SealedState } from '../state/sealed-state.js';
import type { InstallationRow, PgStore } from '../state/pg-store.js';

const SEED_FORMAT = 'v1';

export interface SharedIdentity {
  identity: LmIdentity;
  /** The key the sealed state is sealed with (derived from the identity seed, as identity.seal's). */
  sealKey: Buffer;
  /** The sealed state as the database holds it now. */
  state: SealedState;
  installation: InstallationRow;
  /** True when this start made the installation (an empty database). */
  created: boolean;
}

function secretKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'tessera/lm-ha', purpose, 32));
}

/** What the encryption is bound to: another installation's row, or an edited digest, does not decrypt. */
function boundTo(installationId: string, hostDigest: string): Buffer {
  return Buffer.from(`tessera-lm-identity/${SEED_FORMAT}/${installationId}/${hostDigest}`);
}

/** The identity seed encrypted for the database: "v1." + base64url(iv 12 | ciphertext 32 | tag 16). */
export function encryptSeed(seed: Uint8Array, secret: string, installationId: string, hostDigest: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secretKey(secret, 'identity seed v1'), iv);
  cipher.setAAD(boundTo(installationId, hostDigest));
  const body = Buffer.concat([cipher.update(seed), cipher.final()]);
  return `${SEED_FORMAT}.${encodeBase64Url(Buffer.concat([iv, body, cipher.getAuthTag()]))}`;
}

export function decryptSeed(text: string, secret: string, installationId: string, hostDigest: string): Result<Uint8Array> {
  const bytes = text.startsWith(`${SEED_FORMAT}.`) ? decodeBase64Url(text.slice(SEED_FORMAT.length + 1)) : null;
  if (!bytes || bytes.length !== 12 + 32 + 16) return fail('MALFORMED', 'the sealed identity key in the database is damaged.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', secretKey(secret, 'identity seed v1'), bytes.subarray(0, 12));
    decipher.setAAD(boundTo(installationId, hostDigest));
    decipher.setAuthTag(bytes.subarray(44));
    return ok(new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(12, 44)), decipher.final()])));
  } catch {
    return fail(
      'SIGNATURE_INVALID',
      'the identity key in the database was sealed under another HA secret (or edited): give this replica the same ha.secret as the others.',
    );
  }
}

/** The admin token every replica accepts, so the CLI works against any of them: derived from the HA secret. */
export function adminTokenOf(secret: string): string {
  return encodeBase64Url(secretKey(secret, 'admin token v1'));
}

/** The installation row for an identity seed (a new one, or one moved in from a single License Manager). */
export function installationFor(
  seed: Uint8Array,
  secret: string,
  options: { installationId: string; hostDigest: Uint8Array; origin: InstallationRow['origin']; createdAt: number },
): InstallationRow {
  const privateKey = privateKeyFromSeed(seed)!;
  const hostDigest = encodeBase64Url(options.hostDigest);
  return {
    installationId: options.installationId,
    hostDigest,
    publicKey: encodeBase64Url(rawPublicKey(privateKey)),
    sealedSeed: encryptSeed(seed, secret, options.installationId, hostDigest),
    origin: options.origin,
    createdAt: options.createdAt,
  };
}

/**
 * Reads the installation from the database, or makes it when the database has none (the first replica of a new
 * installation; replicas starting together make one between them). Fails with the code and a sentence when the
 * secret is not the one it was sealed under, or the sealed state is missing or edited.
 */
export async function openSharedIdentity(store: PgStore, secret: string, now: number): Promise<Result<SharedIdentity>> {
  let installation = await store.getInstallation();
  let created = false;
  if (!installation) {
    const seed = rawSeed(generateEd25519().privateKey);
    const installationId = `ins_${randomBytes(16).toString('hex')}`;
    const fresh = installationFor(seed, secret, {
      installationId,
      hostDigest: fingerprintDigest(`installation:${installationId}`),
      origin: 'new',
      createdAt: now,
    });
    installation = await store.createInstallation(fresh, sealState(EMPTY_SEALED_STATE, sealKey(seed)));
    created = installation.installationId === installationId;
  }
  const where = 'The License Manager installation in the database cannot be used';
  const seed = decryptSeed(installation.sealedSeed, secret, installation.installationId, installation.hostDigest);
  if (!seed.ok) return fail(seed.code, `${where}: ${seed.detail}`);
  const privateKey = privateKeyFromSeed(seed.value)!;
  const publicKeyRaw = rawPublicKey(privateKey);
  const hostDigest = decodeBase64Url(installation.hostDigest);
  if (encodeBase64Url(publicKeyRaw) !== installation.publicKey || !hostDigest || hostDigest.length !== 32) {
    return fail('SIGNATURE_INVALID', `${where}: its public key or fingerprint digest was edited.`);
  }
  const key = sealKey(seed.value);
  const text = await store.getSealed();
  const restore =
    'Restore the database from a backup; it cannot be rebuilt, since it is what keeps the clock and license serials from going back.';
  if (text === null) return fail('MALFORMED', `${where}: its sealed state (table tessera_lm_sealed) was deleted. ${restore}`);
  const state = unsealState(text, key);
  if (!state.ok) return fail(state.code, `${where}: its sealed state (table tessera_lm_sealed) is not usable: ${state.detail} ${restore}`);
  return ok({
    identity: { lmid: deriveLmid(publicKeyRaw, hostDigest), privateKey, publicKeyRaw, hostDigest },
    sealKey: key,
    state: state.value,
    installation,
    created,
  });
}
