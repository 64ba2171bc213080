/**
 * The license this LM holds: loading keys (offline and online), syncing, the clock high-water mark, and the
 * current verdict. The signed document is verified once, when it arrives; requests only re-evaluate it (no
 * crypto), and even that is cached for a second.
 */
import { evaluate, fail, maskOnlineKey, ok, parseOnlineKey, readLicense } from '@tessera/core';
import type { Code, Evaluation, License, Result, TrustBundle } from '@tessera/core';
import { hostname, platform, arch } from 'node:os';
import type { Clock } from '../clock.js';
import type { LmIdentity } from '../identity.js';
import type { StateStore, StoredLicense } from '../state/store.js';
import type { CenterClient, SyncOutcome } from '../sync/client.js';
import type { LmStatus } from '../http/api-types.js';
import { LM_VERSION } from '../version.js';

export interface Verdict extends Omit<Evaluation, 'status'> {
  status: LmStatus;
}

export interface LicenseServiceOptions {
  store: StateStore;
  trust: TrustBundle;
  identity: LmIdentity;
  clock: Clock;
  center: CenterClient | null;
  clockToleranceMs: number;
  /** Seats in use per role, reported to LC on sync. */
  usage: () => Record<string, number>;
  onEvent?: (kind: string, code: Code | null, detail: string) => void;
}

const VERDICT_CACHE_MS = 1000;
// Persisting every clock reading would be a write per request; a minute of slack is far inside the tolerance.
const HIGH_WATER_STEP_MS = 60_000;

export class LicenseService {
  private stored: StoredLicense | null;
  private license: License | null = null;
  private highWater: number | null;
  private cached: { at: number; verdict: Verdict } | null = null;
  private syncing: Promise<SyncOutcome> | null = null;
  private storedProblem: { code: Code; detail: string } | null = null;

  constructor(private readonly options: LicenseServiceOptions) {
    this.stored = options.store.getLicense();
    this.highWater = options.store.getHighWater();
    if (this.stored?.licenseText) {
      const read = readLicense(this.stored.licenseText, options.trust);
      // A stored license that no longer reads (trust bundle changed, file edited) is reported, not trusted.
      this.license = read.ok ? read.value : null;
      if (!read.ok) this.storedProblem = read;
    }
  }

  get current(): License | null {
    return this.license;
  }

  get storedLicense(): StoredLicense | null {
    return this.stored;
  }

  /** The verdict now; cheap enough for every request. */
  verdict(): Verdict {
    const now = this.options.clock.now();
    this.observeTime(now);
    if (this.cached && now >= this.cached.at && now - this.cached.at < VERDICT_CACHE_MS) return this.cached.verdict;
    const verdict = this.compute(now);
    this.cached = { at: now, verdict };
    return verdict;
  }

  private compute(now: number): Verdict {
    if (this.storedProblem)
      return { valid: false, status: 'Invalid', code: this.storedProblem.code, detail: this.storedProblem.detail, daysLeft: null };
    if (!this.license && this.stored?.source === 'online') {
      const why = this.stored.lastSyncError ? ` Last attempt: ${this.stored.lastSyncError}` : '';
      return {
        valid: false,
        status: 'Syncing',
        code: 'NO_LICENSE',
        detail: `Waiting for the first answer from the License Center.${why}`,
        daysLeft: null,
      };
    }
    return evaluate(this.license, {
      now,
      lmid: this.options.identity.lmid,
      product: this.license?.product ?? '',
      highWaterTime: this.highWater,
      clockToleranceMs: this.options.clockToleranceMs,
    });
  }

  /** Raises the persisted high-water mark of trusted time (the local clock, or LC's signed time). */
  observeTime(time: number): void {
    if (this.highWater !== null && time < this.highWater + HIGH_WATER_STEP_MS) return;
    this.highWater = time;
    this.options.store.putHighWater(time);
    this.cached = null;
  }

  get highWaterTime(): number | null {
    return this.highWater;
  }

  /** Shown instead of the key: the online key masked, or the license id of an offline key. */
  keyLabel(): string | null {
    if (!this.stored) return null;
    if (this.stored.source === 'online' && this.stored.onlineKey) return maskOnlineKey(this.stored.onlineKey);
    return this.license?.id ?? this.stored.licenseId;
  }

  /**
   * Loads an offline key (a signed license) or an online key. A bad signature, an untrusted vendor key or another
   * LMID is refused even with force; force only skips the status check (expired, not yet valid, older serial).
   */
  async load(input: string, force: boolean): Promise<Result<Verdict>> {
    const text = input.trim();
    if (!/[.]|tessera-|-----BEGIN/i.test(text)) return this.loadOnlineKey(text);
    const read = readLicense(text, this.options.trust);
    if (!read.ok) return read;
    const license = read.value;
    const now = this.options.clock.now();
    const known = this.license ? { licenseId: this.license.id, serial: this.license.serial } : null;
    const verdict = evaluate(license, {
      now,
      lmid: this.options.identity.lmid,
      product: license.product,
      highWaterTime: this.highWater,
      clockToleranceMs: this.options.clockToleranceMs,
      knownSerial: known,
    });
    const overridable: Code[] = ['EXPIRED', 'NOT_YET_VALID', 'SUPERSEDED'];
    if (!verdict.valid && !(force && overridable.includes(verdict.code))) {
      const hint = overridable.includes(verdict.code) ? ' Use --force to load it anyway.' : '';
      return fail(verdict.code, verdict.detail + hint);
    }
    this.replace(
      {
        source: 'offline',
        licenseText: license.key,
        onlineKey: null,
        licenseId: license.id,
        serial: license.serial,
        loadedAt: now,
        lastSyncAt: null,
        lastSyncOk: null,
        lastSyncError: null,
      },
      license,
    );
    this.options.onEvent?.('license.loaded', null, `Offline key for ${license.id} (serial ${license.serial}) loaded.`);
    return ok(this.verdict());
  }

  private async loadOnlineKey(text: string): Promise<Result<Verdict>> {
    const key = parseOnlineKey(text);
    if (!key.ok) return key;
    if (!this.options.center) {
      return fail(
        'NOT_ONLINE',
        'This is an online key, but no License Center is configured (center.url). Set center.url, or ask for an offline key if this License Manager cannot reach the License Center.',
      );
    }
    this.replace(
      {
        source: 'online',
        licenseText: null,
        onlineKey: key.value,
        licenseId: null,
        serial: null,
        loadedAt: this.options.clock.now(),
        lastSyncAt: null,
        lastSyncOk: null,
        lastSyncError: null,
      },
      null,
    );
    this.options.onEvent?.('license.loaded', null, `Online key ${maskOnlineKey(key.value)} loaded; syncing.`);
    await this.sync();
    return ok(this.verdict());
  }

  private replace(stored: StoredLicense, license: License | null): void {
    this.options.store.putLicense(stored);
    this.stored = stored;
    this.license = license;
    this.storedProblem = null;
    this.cached = null;
  }

  /** Pulls the license from LC now. Concurrent calls share one request. Never throws. */
  sync(): Promise<SyncOutcome> {
    this.syncing ??= this.runSync().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async runSync(): Promise<SyncOutcome> {
    const stored = this.stored;
    if (stored?.source !== 'online' || !stored.onlineKey) {
      return {
        ok: false,
        code: 'NOT_ONLINE',
        detail: 'No online key is loaded, so there is nothing to sync. Offline keys are replaced by loading a new key.',
      };
    }
    if (!this.options.center) return { ok: false, code: 'NOT_ONLINE', detail: 'No License Center is configured (center.url).' };
    const { identity } = this.options;
    const outcome = await this.options.center.sync(
      {
        onlineKey: stored.onlineKey,
        lmid: identity.lmid,
        lmPublicKeyRaw: identity.publicKeyRaw,
        hostDigest: identity.hostDigest,
        known: this.license ? { licenseId: this.license.id, serial: this.license.serial } : null,
        usage: this.options.usage(),
        lmVersion: LM_VERSION,
        host: { hostname: hostname(), os: `${platform()} ${arch()}` },
      },
      identity.privateKey,
    );
    const now = this.options.clock.now();
    if (this.stored !== stored) return outcome; // another key was loaded meanwhile; this answer is for the old one
    if (!outcome.ok) {
      this.options.store.recordSync(now, false, outcome.detail);
      this.stored = { ...stored, lastSyncAt: now, lastSyncOk: false, lastSyncError: outcome.detail };
      this.cached = null;
      this.options.onEvent?.('sync.failed', outcome.code, outcome.detail);
      return outcome;
    }
    this.observeTime(Math.max(outcome.lcTime, now));
    if (outcome.changed) {
      const license = outcome.license;
      this.replace(
        {
          ...stored,
          licenseText: license.key,
          licenseId: license.id,
          serial: license.serial,
          lastSyncAt: now,
          lastSyncOk: true,
          lastSyncError: null,
        },
        license,
      );
      this.options.onEvent?.('sync.changed', null, `License ${license.id} serial ${license.serial} received from the License Center.`);
    } else {
      this.options.store.recordSync(now, true, null);
      this.stored = { ...stored, lastSyncAt: now, lastSyncOk: true, lastSyncError: null };
      this.cached = null;
      this.options.onEvent?.('sync.unchanged', null, `License ${this.license?.id ?? '(none)'} is current.`);
    }
    return outcome;
  }
}
