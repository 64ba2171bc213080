/**
 * What never goes back at this License Manager (DESIGN decision 9): the clock high-water mark, the highest serial
 * accepted per license id and the newest root-signed trust bundle, kept sealed next to the identity
 * (state/sealed-state.ts). Every change is written before it counts. The mark moves back one way only, on the
 * vendor's signed word: a clock reset naming the exact mark it replaces (offline from a request code, online in the
 * answer to a sync that carried the mark); a License Center time token only raises it.
 */
import { fail, ok } from '@tessera/core';
import type { ClockReset, Result } from '@tessera/core';
import {
  EMPTY_SEALED_STATE,
  mergeSealedStates,
  readSealedState,
  sameSealedState,
  SEAL_FILE,
  writeSealedState,
} from '../state/sealed-state.js';
import type { SealedState } from '../state/sealed-state.js';

// Persisting every clock reading would be a write per request; a minute of slack is far inside the tolerance.
const HIGH_WATER_STEP_MS = 60_000;

/** What a data path written before the seal existed held (state.db's clock row and license), carried over once. */
export interface LegacyGuards {
  highWater: number | null;
  license: { id: string; serial: number } | null;
}

export type CenterTimeOutcome = { kind: 'ahead'; by: number } | null;

/**
 * Where the sealed state is kept. A file next to the identity is written before the call returns (and a failure
 * throws before the value counts). A database shared by replicas is written in the background, merged with what
 * the others wrote: the promise answers the merged state, or null when the write failed (the writer retries).
 */
export interface SealWriter {
  write(state: SealedState): void | Promise<SealedState | null>;
}

export class Guards {
  private changes = 0;
  /** Settles once every write started so far has (the database case; the file case is written at once). */
  private pending: Promise<void> = Promise.resolve();

  private constructor(
    private readonly writer: SealWriter,
    private state: SealedState,
  ) {}

  /**
   * Guards kept in a database shared by replicas, starting from the state read there. A value counts here before
   * the database has it; that is safe in every case: a higher serial floor or mark is only stricter, and a lowered
   * mark that fails to be written comes back higher at the next start, which is stricter too.
   */
  static shared(state: SealedState, writer: SealWriter): Guards {
    return new Guards(writer, state);
  }

  /**
   * Opens the guards of a data path. No seal and no identity before this start: a new License Manager. No seal but
   * an identity: only a data path of a release before the seal (state.db still holds its clock row, `legacy`) is
   * carried over; otherwise the seal was deleted, and starting afresh would be exactly the reset it prevents.
   */
  static open(dataPath: string, key: Uint8Array, identityExisted: boolean, legacy: LegacyGuards | null): Result<Guards> {
    // A new identity starts with nothing to guard; a seal left by a start that died before writing the key is
    // another identity's and is replaced.
    if (!identityExisted) return ok(Guards.create(dataPath, key, EMPTY_SEALED_STATE));
    const read = readSealedState(dataPath, key);
    const restore = `Restore it from the backup it was taken with (with state.db). Removing identity.key too starts a new License Manager with a new LMID, whose license the vendor must bind again.`;
    if (!read.ok) {
      return fail(
        read.code,
        `The sealed state ${SEAL_FILE} in ${dataPath} cannot be used: ${read.detail} ${restore} It cannot be rebuilt: it is what keeps the clock and license serials from going back.`,
      );
    }
    if (read.value) return ok(new Guards(fileWriter(dataPath, key), read.value));
    if (!legacy) return fail('MALFORMED', `The data path ${dataPath} holds identity.key but not ${SEAL_FILE}: it was deleted. ${restore}`);
    return ok(
      Guards.create(dataPath, key, {
        ...EMPTY_SEALED_STATE,
        highWater: legacy.highWater,
        serials: legacy.license ? { [legacy.license.id]: legacy.license.serial } : {},
      }),
    );
  }

  private static create(dataPath: string, key: Uint8Array, state: SealedState): Guards {
    const guards = new Guards(fileWriter(dataPath, key), state);
    guards.save(state);
    return guards;
  }

  /** The whole state, as sealed. */
  get sealed(): SealedState {
    return this.state;
  }

  /** Resolves once every change made so far is written (at once for a file; the shared database's round trip). */
  persisted(): Promise<void> {
    return this.pending;
  }

  /** Takes in what another replica accepted (read from the shared database): nothing held here goes back. */
  absorb(other: SealedState): void {
    const merged = mergeSealedStates(this.state, other);
    if (sameSealedState(merged, this.state)) return;
    this.state = merged;
    this.changes++;
  }

  /** Grows with every change to what is held, so a verdict computed before one is known to be stale. */
  get revision(): number {
    return this.changes;
  }

  get highWater(): number | null {
    return this.state.highWater;
  }

  get vendorTime(): number | null {
    return this.state.vendorTime;
  }

  get bundle(): string | null {
    return this.state.bundle;
  }

  get bundleSerial(): number {
    return this.state.bundleSerial;
  }

  /** The highest serial accepted for a license id, or null when it was never seen. */
  serialFloor(licenseId: string): number | null {
    return this.state.serials[licenseId] ?? null;
  }

  /** Raises the mark to a clock reading; true when it moved. */
  observe(time: number): boolean {
    const mark = this.state.highWater;
    if (mark !== null && time < mark + HIGH_WATER_STEP_MS) return false;
    this.save({ ...this.state, highWater: time });
    return true;
  }

  acceptSerial(licenseId: string, serial: number): void {
    if ((this.state.serials[licenseId] ?? 0) >= serial) return;
    this.save({ ...this.state, serials: { ...this.state.serials, [licenseId]: serial } });
  }

  acceptBundle(text: string, serial: number): void {
    if (serial <= this.state.bundleSerial) return;
    this.save({ ...this.state, bundle: text, bundleSerial: serial });
  }

  /**
   * A License Center time token (verified by the caller): it only ever raises the mark. A token says what time it
   * was when it was signed, not that it is that time now, so one recorded and served later (center.url is in the
   * customer's YAML) must not move a mark back; only a clock reset naming the mark held does (applyReset; online,
   * the sync answers one when its request carries the mark). The token's time becomes the vendor time held, so
   * every reset issued before it (collected for a later use) is refused from now on. A clock ahead is reported.
   */
  centerTime(lcTime: number, now: number, toleranceMs: number): CenterTimeOutcome {
    if (this.state.vendorTime === null || lcTime > this.state.vendorTime) this.save({ ...this.state, vendorTime: lcTime });
    this.observe(Math.max(lcTime, now));
    return now > lcTime + toleranceMs ? { kind: 'ahead', by: now - lcTime } : null;
  }

  /** The mark to ask the License Center to reset (ISO time): while the clock is behind it, else null. */
  markToReset(now: number, toleranceMs: number): string | null {
    const mark = this.state.highWater;
    return mark !== null && mark > now + toleranceMs ? new Date(mark).toISOString() : null;
  }

  /**
   * A vendor-signed clock reset (verified by the caller): for this LMID, naming exactly the mark held now, and newer
   * than every vendor time accepted before (so, once applied, the same reset never applies again, even if the clock
   * is steered back to the exact mark it named).
   */
  applyReset(reset: ClockReset, lmid: string): Result<{ from: number; to: number }> {
    if (reset.lmid !== lmid) {
      return fail('LMID_MISMATCH', `This clock reset is for License Manager ${reset.lmid}, not for this one (${lmid}).`);
    }
    const mark = this.state.highWater;
    const again = 'Make a new request code (tessera-lm request-code) and ask the vendor for a reset of that.';
    if (mark === null || reset.fromHighWaterMs !== mark) {
      const now = mark === null ? 'this License Manager has no mark yet' : `the mark is now ${new Date(mark).toISOString()}`;
      return fail(
        'RESET_NOT_APPLICABLE',
        `This clock reset is for the high-water mark ${reset.fromHighWater}, but ${now}: it moved since the request code was made. ${again}`,
      );
    }
    if (this.state.vendorTime !== null && reset.toTimeMs <= this.state.vendorTime) {
      return fail(
        'RESET_NOT_APPLICABLE',
        `This clock reset (issued ${reset.toTime}) is not newer than the vendor time this License Manager already holds (${new Date(this.state.vendorTime).toISOString()}): it was applied before, or a newer one exists. ${again}`,
      );
    }
    this.save({ ...this.state, highWater: reset.toTimeMs, vendorTime: reset.toTimeMs });
    return ok({ from: mark, to: reset.toTimeMs });
  }

  private save(next: SealedState): void {
    // A file is written first: a value counts only once it is on disk next to the identity (see shared() for a database).
    const written = this.writer.write(next);
    this.state = next;
    this.changes++;
    if (!written) return;
    const settled = written.then((merged) => {
      if (merged) this.absorb(merged);
    });
    this.pending = Promise.all([this.pending, settled]).then(() => undefined);
  }
}

function fileWriter(dataPath: string, key: Uint8Array): SealWriter {
  return { write: (state) => writeSealedState(dataPath, state, key) };
}
