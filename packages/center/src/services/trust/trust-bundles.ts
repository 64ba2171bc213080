/**
 * The trust bundle the License Center hands out: its signing keys and their states, signed by the active root
 * (core signTrustBundle). Its serial grows with every change of the key set without being stored: each key counts
 * 1 while active, 2 once retired and 3 once revoked, and keys are never deleted, so the sum only grows. License
 * Managers get it with every sync answer and in the trust file (GET /v1/trust-bundle, `tessera-center
 * trust-bundle`); products get it from their License Manager and check it with the root compiled into them.
 */
import { decodeBase64Url, serializeTrustFile, signTrustBundle } from '@tessera/core';
import type { SigningKeys, SigningKeyInfo } from './signing-keys.js';
import type { RootKeyInfo, TrustRoots } from './trust-roots.js';
import type { Clock } from '@tessera/core';

const RANK = { active: 1, retired: 2, revoked: 3 } as const;
const ROOT_RANK = { next: 1, active: 2, retired: 3 } as const;
/** How long a signed bundle is handed out before the key set is read again (a change made here drops it at once). */
const RECHECK_MS = 30_000;

export class TrustBundles {
  private readonly keys: SigningKeys;
  private readonly roots: TrustRoots;
  private readonly clock: Clock;
  private cached: { text: string; at: number; identity: string } | null = null;
  private signing: Promise<string> | null = null;

  constructor(options: { keys: SigningKeys; roots: TrustRoots; clock: Clock }) {
    this.keys = options.keys;
    this.roots = options.roots;
    this.clock = options.clock;
  }

  /**
   * The root-signed bundle document (typ 'trust'), signed once per change. Sync answers take the copy of the last
   * RECHECK_MS (a change made on another instance reaches LMs within that); `maxAgeMs` 0 reads the key set now.
   */
  async signed(maxAgeMs = RECHECK_MS): Promise<string> {
    const now = this.clock.now();
    const cached = this.cached;
    if (cached && now >= cached.at && now - cached.at < maxAgeMs) return cached.text;
    this.signing ??= this.sign(now).finally(() => (this.signing = null));
    return this.signing;
  }

  /** The trust file (format v2): the published roots and the signed bundle, as they are now. */
  async file(): Promise<string> {
    const [roots, bundle] = await Promise.all([this.roots.published(), this.signed(0)]);
    return serializeTrustFile(
      roots.map((r) => r.root),
      bundle,
    );
  }

  /** Drops the signed copy after a change of the keys or roots made through this instance. */
  forget(): void {
    this.cached = null;
  }

  private async sign(now: number): Promise<string> {
    let keys = await this.keys.list();
    if (keys.length === 0) {
      await this.keys.ensureActive();
      keys = await this.keys.list();
    }
    const root = await this.roots.activeSigner();
    const roots = await this.roots.list();
    // Signed again only when the keys or the roots changed (Ed25519 is deterministic: the same bytes either way).
    const identity = `${root.kid} ${JSON.stringify(keys)} ${JSON.stringify(roots)}`;
    if (this.cached?.identity === identity) {
      this.cached = { ...this.cached, at: now };
      return this.cached.text;
    }
    const input = {
      serial: bundleSerial(keys, roots),
      issuedAt: new Date(lastChange(keys)).toISOString(),
      keys: keys.map(entryOf),
      endorsements: await this.roots.endorsements(),
    };
    const text = signTrustBundle(input, root);
    this.cached = { text, at: now, identity };
    return text;
  }
}

/**
 * Grows with every change of the key set and of the roots: each signing key counts 1 while active, 2 retired, 3
 * revoked; each root 1 as next, 2 active, 3 retired. Nothing is ever deleted, so the sum only grows, and a root
 * rotation reaches License Managers (which adopt only a higher serial) like a key rotation does.
 */
export function bundleSerial(keys: readonly Pick<SigningKeyInfo, 'state'>[], roots: readonly Pick<RootKeyInfo, 'state'>[] = []): number {
  return keys.reduce((sum, key) => sum + RANK[key.state], 0) + roots.reduce((sum, root) => sum + ROOT_RANK[root.state], 0);
}

/** The time of the newest change of the key set: deterministic, so every instance signs the same bytes. */
function lastChange(keys: readonly SigningKeyInfo[]): number {
  return Math.max(...keys.map((k) => Math.max(k.createdAt, k.retiredAt ?? 0)));
}

function entryOf(key: SigningKeyInfo) {
  const publicKeyRaw = decodeBase64Url(key.publicKey);
  if (!publicKeyRaw) throw new Error(`Signing key ${key.kid} has a damaged public key in the database.`);
  return { kid: key.kid, state: key.state, publicKeyRaw };
}
