/**
 * The sealed state of replicas sharing a database (the row tessera_lm_sealed), written and read as the single
 * License Manager's identity.seal is, with the same MAC. Every write merges with the row under a row lock, so two
 * replicas raising a serial floor and the clock mark at once both count; every tick each replica reads the row and
 * takes in what others accepted (Guards.absorb). A row that holds less than a replica knows (a restored backup, an
 * edit) or does not verify is written again from what the replica holds, and reported: while any replica runs, the
 * database cannot be rolled back behind it.
 */
import type { Code } from '@tessera/core';
import type { Guards, SealWriter } from '../services/guards.js';
import { mergeSealedStates, sameSealedState, sealState, unsealState } from '../state/sealed-state.js';
import type { SealedState } from '../state/sealed-state.js';
import type { PgStore } from '../state/pg-store.js';

export type SealEvent = (kind: string, code: Code | null, detail: string) => void;

export class SharedSeal implements SealWriter {
  private chain: Promise<unknown> = Promise.resolve();
  /** A write failed (the database was down): the next refresh writes what this replica holds. */
  private unwritten = false;

  constructor(
    private readonly store: PgStore,
    private readonly key: Uint8Array,
    private readonly onEvent: SealEvent,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Merges `state` into the row; resolves with the merged state, or null when the database could not be written. */
  write(state: SealedState): Promise<SealedState | null> {
    const written = this.chain.then(() => this.writeNow(state));
    this.chain = written;
    return written;
  }

  /** Takes in what the row holds, and writes back what this replica holds that the row lacks (or a row that does not verify). */
  async refresh(guards: Guards): Promise<void> {
    const text = await this.store.getSealed();
    const read = text === null ? null : unsealState(text, this.key);
    if (read?.ok) {
      guards.absorb(read.value);
      if (!this.unwritten && sameSealedState(mergeSealedStates(read.value, guards.sealed), read.value)) return;
      if (!this.unwritten) this.report(read.value, guards.sealed);
    } else {
      this.onEvent(
        'seal.repaired',
        read ? read.code : 'MALFORMED',
        `The sealed state in the database (table tessera_lm_sealed) ${read ? `did not verify (${read.detail})` : 'was deleted'}; it was written again from what this replica holds.`,
      );
    }
    const merged = await this.write(guards.sealed);
    if (merged) guards.absorb(merged);
  }

  private async writeNow(state: SealedState): Promise<SealedState | null> {
    try {
      let merged = state;
      await this.store.updateSealed((current) => {
        const theirs = current === null ? null : unsealState(current, this.key);
        // A row that does not verify is not merged with (refresh reports it): what this replica holds replaces it.
        merged = theirs?.ok ? mergeSealedStates(theirs.value, state) : state;
        return theirs?.ok && sameSealedState(merged, theirs.value) ? current! : sealState(merged, this.key);
      });
      this.unwritten = false;
      return merged;
    } catch (error) {
      this.unwritten = true;
      this.onError(error);
      return null;
    }
  }

  private report(row: SealedState, held: SealedState): void {
    const lower: string[] = [];
    for (const [id, serial] of Object.entries(held.serials)) {
      if ((row.serials[id] ?? 0) < serial) lower.push(`serial ${row.serials[id] ?? 'none'} of ${id} (held: ${serial})`);
    }
    if (row.bundleSerial < held.bundleSerial) lower.push(`trust bundle serial ${row.bundleSerial} (held: ${held.bundleSerial})`);
    if ((row.highWater ?? 0) < (held.highWater ?? 0) && row.vendorTime === held.vendorTime) lower.push('an older clock mark');
    if (lower.length === 0) return;
    this.onEvent(
      'seal.repaired',
      'SUPERSEDED',
      `The sealed state in the database went back (${lower.join(', ')}): restored from a backup or edited. It was written again from what this replica holds.`,
    );
  }
}
