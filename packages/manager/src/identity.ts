/**
 * The LM's identity: an Ed25519 key pair kept in dataPath (mode 0600) and a host fingerprint. The LMID derives
 * from both (core deriveLmid), so a data path copied to another host shows another LMID there.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname, platform, arch } from 'node:os';
import { join } from 'node:path';
import { deriveLmid, encodeBase64Url, fingerprintDigest, privateKeyFromSeed, rawPublicKey, rawSeed, generateEd25519 } from '@tessera/core';
import type { KeyObject } from '@tessera/core';
import { readFileIfExists, writeFileAtomic } from './state/files.js';
import { sealKey } from './state/sealed-state.js';

export interface LmIdentity {
  readonly lmid: string;
  readonly privateKey: KeyObject;
  readonly publicKeyRaw: Uint8Array;
  readonly hostDigest: Uint8Array;
}

const KEY_FILE = 'identity.key';
const INSTALLATION_FILE = 'installation-id';
const TOKEN_FILE = 'admin.token';
const MACHINE_ID_FILES = ['/etc/machine-id', '/var/lib/dbus/machine-id'];

export function ensureDataPath(dataPath: string): void {
  if (!existsSync(dataPath)) mkdirSync(dataPath, { recursive: true, mode: 0o700 });
}

/**
 * The fingerprint of this host: its machine id, or an installation id kept in dataPath (for StatefulSets), made on
 * first use unless `create` is false (then null when there is none: reading an existing data path changes nothing).
 */
export function hostFingerprint(mode: 'host' | 'installation', dataPath: string, create = true): string | null {
  if (mode === 'installation') {
    const file = join(dataPath, INSTALLATION_FILE);
    const existing = readFileIfExists(file)?.trim();
    if (existing) return `installation:${existing}`;
    if (!create) return null;
    const id = randomBytes(16).toString('hex');
    writeFileAtomic(file, id + '\n', 0o600);
    return `installation:${id}`;
  }
  for (const file of MACHINE_ID_FILES) {
    const id = readFileIfExists(file)?.trim();
    if (id) return `machine:${id}`;
  }
  // No machine id (some minimal containers): the host name is the best stable trait left.
  return `host:${hostname()}|${platform()}|${arch()}`;
}

/** An identity as read from (or made for) a data path. A new one is written only by save(), once the seal is. */
export interface OpenedIdentity {
  readonly identity: LmIdentity;
  /** False when this start made the key: nothing can have been guarded for it yet. */
  readonly existed: boolean;
  /** The key identity.seal is sealed with (derived from the identity seed). */
  readonly sealKey: Buffer;
  /** Writes a new identity key; a no-op for one that existed. */
  save(): void;
}

/**
 * Reads the identity key, or makes one without writing it yet: the caller writes the seal first, so a start that
 * dies in between leaves no key without its seal (which would look like a deleted seal and refuse to start).
 */
export function openIdentity(dataPath: string, fingerprint: string): OpenedIdentity {
  const file = join(dataPath, KEY_FILE);
  const stored = readFileIfExists(file);
  const storedKey = stored ? privateKeyFromSeed(Buffer.from(stored.trim(), 'base64url')) : null;
  if (stored && !storedKey) {
    throw new Error(
      `The identity key file ${file} is damaged. Restore it from a backup; removing it gives this License Manager a new LMID.`,
    );
  }
  const privateKey = storedKey ?? generateEd25519().privateKey;
  const seed = rawSeed(privateKey);
  const publicKeyRaw = rawPublicKey(privateKey);
  const hostDigest = fingerprintDigest(fingerprint);
  return {
    identity: { lmid: deriveLmid(publicKeyRaw, hostDigest), privateKey, publicKeyRaw, hostDigest },
    existed: storedKey !== null,
    sealKey: sealKey(seed),
    save() {
      if (!storedKey) writeFileAtomic(file, encodeBase64Url(seed) + '\n', 0o600);
    },
  };
}

/** The admin token the local CLI reads from dataPath; created on first start. */
export function loadAdminToken(dataPath: string): string {
  const file = join(dataPath, TOKEN_FILE);
  const existing = readFileIfExists(file)?.trim();
  if (existing) return existing;
  const token = randomBytes(32).toString('base64url');
  writeFileAtomic(file, token + '\n', 0o600);
  return token;
}

export function adminTokenFile(dataPath: string): string {
  return join(dataPath, TOKEN_FILE);
}

/** Constant-time comparison of a presented token with the real one. */
export function tokenMatches(presented: string, actual: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(actual).digest();
  return timingSafeEqual(a, b);
}
