/**
 * The license this LM holds: loading (offline keys, online keys, and the vendor documents that come the same way:
 * clock resets and trust bundles), syncing, and the current verdict. The signed document is verified once, when it
 * arrives or the trust bundle changes; requests only re-evaluate it (no crypto), and even that is cached for a
 * second. What must never go back (serials, the clock mark) lives in the guards, sealed with the identity.
 */
import { evaluate, fail, maskOnlineKey, normalizeDocumentText, ok, parseOnlineKey, readClockReset, readLicense } from '@tessera/core';
import type { Clock, Code, Evaluation, License, LmStatus, Result } from '@tessera/core';
import { hostname, platform, arch } from 'node:os';
import type { LmIdentity } from '../identity.js';
import type { Awaitable, LmStore, StoredLicense } from '../state/store.js';
import type { CenterClient, SyncOutcome } from '../sync/client.js';
import { LM_VERSION } from '../version.js';
import type { Guards } from './guards.js';
import { bundleTextOf } from './trust.js';
import type { TrustService } from './trust.js';

export interface Verdict extends Omit<Evaluation, 'status'> {
  status: LmStatus;
}

export interface LicenseServiceOptions {
  store: LmStore;
  /** The license the store holds at start (read by the caller, so the store may answer a promise). */
  initial: StoredLicense | null;
  trust: TrustService;
  guards: Guards;
  identity: LmIdentity;
  clock: Clock;
  center: CenterClient | null;
  clockToleranceMs: number;
  /** Seats in use per role, reported to LC on sync. */
  usage: () => Awaitable<Record<string, number>>;
  /**
   * Replicas sharing a database sync one at a time: a sync runs only while this lock is held (null: one License
   * Manager, no lock). acquire() answers false when another replica is syncing now.
   */
  syncLock?: { acquire(): Promise<boolean>; release(): Promise<void>; holder(): string } | null;
  onEvent?: (kind: string, code: Code | null, detail: string) => void;
}

const VERDICT_CACHE_MS = 1000;
const iso = (ms: number) => new Date(ms).toISOString();

export class LicenseService {
  private stored: StoredLicense | null;
  private license: License | null = null;
  private cached: { at: number; verdict: Verdict; revision: number } | null = null;
  private syncing: Promise<SyncOutcome> | null = null;
  private storedProblem: { code: Code; detail: string } | null = null;

  constructor(private readonly options: LicenseServiceOptions) {
    this.stored = options.initial;
    this.reverify();
    // A rotated bundle may revoke the key of the license held, or vouch for one no bundle did before.
    options.trust.onChange(() => this.reverify());
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
    const revision = this.options.guards.revision;
    const cached = this.cached;
    if (cached && cached.revision === revision && now >= cached.at && now - cached.at < VERDICT_CACHE_MS) return cached.verdict;
    const verdict = this.compute(now);
    this.cached = { at: now, verdict, revision };
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
    const license = this.license;
    // Loaded by a release that still took online licenses as offline keys: never in force, so sync can revoke it.
    if (license && license.mode === 'online' && this.stored?.source === 'offline') {
      return { valid: false, status: 'Invalid', code: 'MODE_MISMATCH', detail: modeMismatch(license), daysLeft: null };
    }
    return evaluate(license, {
      now,
      lmid: this.options.identity.lmid,
      product: license?.product ?? '',
      highWaterTime: this.options.guards.highWater,
      clockToleranceMs: this.options.clockToleranceMs,
      knownSerial: license ? this.floorOf(license.id) : null,
    });
  }

  /** Raises the sealed high-water mark of trusted time to a clock reading. */
  observeTime(time: number): void {
    if (this.options.guards.observe(time)) this.cached = null;
  }

  get highWaterTime(): number | null {
    return this.options.guards.highWater;
  }

  /** Shown instead of the key: the online key masked, or the license id of an offline key. */
  keyLabel(): string | null {
    if (!this.stored) return null;
    if (this.stored.source === 'online' && this.stored.onlineKey) return maskOnlineKey(this.stored.onlineKey);
    return this.license?.id ?? this.stored.licenseId;
  }

  /**
   * Loads what the vendor sends through the same box: an online key, an offline key (a signed license), a clock
   * reset or a root-signed trust bundle. A bad signature, an untrusted vendor key, another LMID, an online license
   * or an older serial is refused even with force; force only skips EXPIRED and NOT_YET_VALID.
   */
  async load(input: string, force: boolean): Promise<Result<Verdict>> {
    const text = input.trim();
    if (!/[.{]|tessera-|-----BEGIN/i.test(text)) return this.loadOnlineKey(text);
    const kind = documentKind(text);
    if (kind === 'reset') return this.loadClockReset(text);
    if (kind === 'trust') return this.loadTrustBundle(text);
    return this.loadOfflineKey(text, force);
  }

  private async loadOfflineKey(text: string, force: boolean): Promise<Result<Verdict>> {
    const read = readLicense(text, this.options.trust.bundle);
    if (!read.ok) return read;
    const license = read.value;
    if (license.mode === 'online') return fail('MODE_MISMATCH', modeMismatch(license));
    const now = this.options.clock.now();
    const verdict = evaluate(license, {
      now,
      lmid: this.options.identity.lmid,
      product: license.product,
      highWaterTime: this.options.guards.highWater,
      clockToleranceMs: this.options.clockToleranceMs,
      knownSerial: this.floorOf(license.id),
    });
    const overridable: Code[] = ['EXPIRED', 'NOT_YET_VALID'];
    if (!verdict.valid && !(force && overridable.includes(verdict.code))) {
      const hint = overridable.includes(verdict.code) ? ' Use --force to load it anyway.' : '';
      return fail(verdict.code, verdict.detail + hint);
    }
    await this.replace(
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
    await this.replace(
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

  /** An offline License Manager's way back from a clock set ahead by mistake (core clock-reset.ts). */
  private async loadClockReset(text: string): Promise<Result<Verdict>> {
    const reset = readClockReset(text, this.options.trust.bundle);
    if (!reset.ok) return reset;
    const applied = this.options.guards.applyReset(reset.value, this.options.identity.lmid);
    if (!applied.ok) return applied;
    await this.options.guards.persisted();
    this.cached = null;
    this.options.onEvent?.(
      'clock.reset',
      null,
      `Clock reset ${reset.value.id} applied: the high-water mark moved from ${iso(applied.value.from)} to the vendor's time ${iso(applied.value.to)}.`,
    );
    return ok(this.verdict());
  }

  /** A root-signed trust bundle (the document, or the v2 trust file around it): offline rotation without a restart. */
  private async loadTrustBundle(text: string): Promise<Result<Verdict>> {
    const bundleText = bundleTextOf(text);
    if (!bundleText.ok) return bundleText;
    const checked = this.options.trust.check(bundleText.value);
    if (checked === null) {
      return fail(
        'UNTRUSTED_ROOT',
        'This License Manager knows no trust root (its trust file is a plain v1 bundle and trustRoot is not set), so it cannot check a trust bundle. Replace its trust file instead.',
      );
    }
    if (!checked.ok) return checked;
    const outcome = this.options.trust.adopt(checked.value);
    if (outcome === 'older') {
      return fail(
        'SUPERSEDED',
        `This trust bundle has serial ${checked.value.serial}; this License Manager already holds serial ${this.options.trust.heldSerial}, and never goes back.`,
      );
    }
    if (outcome === 'adopted') this.options.onEvent?.('trust.updated', null, `Trust bundle serial ${checked.value.serial} loaded.`);
    await this.options.guards.persisted();
    return ok(this.verdict());
  }

  private async replace(stored: StoredLicense, license: License | null): Promise<void> {
    // The store first, then the seal: a crash in between leaves a floor the held license meets (see constructor).
    await this.options.store.putLicense(stored);
    if (license) this.options.guards.acceptSerial(license.id, license.serial);
    this.stored = stored;
    this.license = license;
    this.storedProblem = null;
    this.cached = null;
    await this.options.guards.persisted();
  }

  /**
   * The license row as another replica left it (read from the shared database): held from now on, verified again
   * when its text changed. False (nothing taken) while this replica's own sync is writing the row: a later tick does.
   */
  adoptStored(stored: StoredLicense | null): boolean {
    if (this.syncing) return false;
    const before = this.stored;
    this.stored = stored;
    this.cached = null;
    const same =
      before?.licenseText === stored?.licenseText && before?.source === stored?.source && before?.onlineKey === stored?.onlineKey;
    if (!same) this.reverify();
    return true;
  }

  private reverify(): void {
    this.license = null;
    this.storedProblem = null;
    this.cached = null;
    if (!this.stored?.licenseText) return;
    const read = readLicense(this.stored.licenseText, this.options.trust.bundle);
    // A stored license that no longer reads (trust bundle changed, file edited) is reported, not trusted.
    if (!read.ok) {
      this.storedProblem = read;
      return;
    }
    this.license = read.value;
    // state.db is written before the seal; a license held here was accepted, so the floor is at least its serial.
    this.options.guards.acceptSerial(read.value.id, read.value.serial);
  }

  /** The highest serial accepted for a license id, as evaluate() takes it. */
  private floorOf(licenseId: string): { licenseId: string; serial: number } | null {
    const serial = this.options.guards.serialFloor(licenseId);
    return serial === null ? null : { licenseId, serial };
  }

  /** Pulls the license from LC now. Concurrent calls share one request. Never throws. */
  sync(): Promise<SyncOutcome> {
    this.syncing ??= this.runSync().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  /** With a sync lock (replicas), a sync runs only while it is held; another replica syncing now is RATE_LIMITED. */
  private async runSync(): Promise<SyncOutcome> {
    const lock = this.options.syncLock;
    if (!lock || this.stored?.source !== 'online') return this.syncOnce();
    if (!(await lock.acquire())) {
      return fail(
        'RATE_LIMITED',
        `Another replica (${lock.holder()}) is syncing with the License Center right now; try again in a few seconds.`,
      );
    }
    try {
      return await this.syncOnce();
    } finally {
      await lock.release();
    }
  }

  private async syncOnce(): Promise<SyncOutcome> {
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
    let outcome = await this.options.center.sync(
      {
        onlineKey: stored.onlineKey,
        lmid: identity.lmid,
        lmPublicKeyRaw: identity.publicKeyRaw,
        hostDigest: identity.hostDigest,
        known: this.license ? { licenseId: this.license.id, serial: this.license.serial } : null,
        usage: await this.options.usage(),
        lmVersion: LM_VERSION,
        host: { hostname: hostname(), os: `${platform()} ${arch()}` },
        // While the clock is behind the mark, ask for a reset of exactly this mark (the answer carries it if due).
        clockMark: this.options.guards.markToReset(this.options.clock.now(), this.options.clockToleranceMs),
      },
      identity.privateKey,
    );
    const now = this.options.clock.now();
    if (this.stored !== stored) return outcome; // another key was loaded meanwhile; this answer is for the old one
    if (outcome.ok) this.takeTrustAndTime(outcome, now);
    if (outcome.ok && outcome.changed) {
      const floor = this.options.guards.serialFloor(outcome.license.id);
      if (floor !== null && outcome.license.serial < floor) {
        outcome = fail(
          'SUPERSEDED',
          `The License Center sent serial ${outcome.license.serial} of license ${outcome.license.id}, but this License Manager has already accepted serial ${floor}; the older copy was not applied.`,
        );
      }
    }
    if (!outcome.ok) {
      await this.options.store.recordSync(now, false, outcome.detail);
      this.stored = { ...stored, lastSyncAt: now, lastSyncOk: false, lastSyncError: outcome.detail };
      this.cached = null;
      this.options.onEvent?.('sync.failed', outcome.code, outcome.detail);
      return outcome;
    }
    if (outcome.changed) {
      const license = outcome.license;
      await this.replace(
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
      await this.options.store.recordSync(now, true, null);
      this.stored = { ...stored, lastSyncAt: now, lastSyncOk: true, lastSyncError: null };
      this.cached = null;
      this.options.onEvent?.('sync.unchanged', null, `License ${this.license?.id ?? '(none)'} is current.`);
    }
    await this.options.guards.persisted();
    return outcome;
  }

  /** A verified answer's trust bundle, clock reset and signed time: adopt the bundle, apply the reset, raise the mark. */
  private takeTrustAndTime(outcome: Extract<SyncOutcome, { ok: true }>, now: number): void {
    if (outcome.trust && this.options.trust.adopt(outcome.trust) === 'adopted') {
      this.options.onEvent?.('trust.updated', null, `Trust bundle serial ${outcome.trust.serial} received from the License Center.`);
    }
    if (outcome.trustProblem) this.options.onEvent?.('trust.refused', 'UNTRUSTED_ROOT', outcome.trustProblem);
    // The reset first: it is newer than the time token beside it, which then only raises the mark.
    if (outcome.clockReset) {
      const applied = this.options.guards.applyReset(outcome.clockReset, this.options.identity.lmid);
      if (applied.ok) {
        this.options.onEvent?.(
          'clock.corrected',
          null,
          `The clock high-water mark moved back from ${iso(applied.value.from)} to the License Center's signed time ${iso(applied.value.to)}: a clock set ahead had carried it forward.`,
        );
      } else this.options.onEvent?.('clock.reset_refused', applied.code, applied.detail);
    }
    if (outcome.clockResetRefused)
      this.options.onEvent?.('clock.reset_refused', outcome.clockResetRefused.code, outcome.clockResetRefused.detail);
    const time = this.options.guards.centerTime(outcome.lcTime, now, this.options.clockToleranceMs);
    this.cached = null;
    if (time?.kind === 'ahead') {
      this.options.onEvent?.(
        'clock.ahead',
        null,
        `The system clock is ${Math.round(time.by / 60_000)} minutes ahead of the License Center's signed time ${iso(outcome.lcTime)}. Correct it; the next sync then moves the high-water mark back.`,
      );
    }
  }
}

/** The sentence for an online license taken as an offline key. */
function modeMismatch(license: License): string {
  return `License ${license.id} was issued for online mode: load its online key (5 groups of 5 characters, shown in the License Center), not the license document, so the License Center keeps it current.`;
}

/** The kind of a pasted vendor document: its typ, or 'trust' for a trust file (JSON). */
function documentKind(text: string): string | null {
  if (text.startsWith('{')) return 'trust';
  const normalized = normalizeDocumentText(text);
  return normalized.ok ? (/^tessera-([a-z]+):/.exec(normalized.value)?.[1] ?? null) : null;
}
