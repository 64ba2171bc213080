/**
 * Clock resets for offline License Managers (core clock-reset.ts). A clock set ahead by mistake carries an LM's
 * high-water mark forward; set right again, the clock looks set back (CLOCK_TAMPERED). Offline, the customer
 * sends a request code (it carries the mark) and staff answer it with a reset signed by the active key: it names
 * that exact mark and this License Center's time, so it applies once, to that LM, and only moves the mark back to
 * the vendor's time. Online, the LM's signed sync request carries the mark (clockMark) and the sync answer carries
 * the same reset, issued here: a plain time token only ever raises a mark, so a recorded answer cannot lower one.
 */
import { randomBytes } from 'node:crypto';
import { fail, issueClockReset, ok, readRequestCode } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { AuditLog } from '../audit/audit.js';
import type { SigningKeys } from './signing-keys.js';

export interface IssuedClockReset {
  lmid: string;
  fromHighWater: string;
  toTime: string;
  /** The document the customer loads: tessera-lm load. */
  reset: string;
}

export class ClockResets {
  constructor(private readonly options: { keys: SigningKeys; audit: AuditLog; clock: Clock }) {}

  async issue(requestCode: unknown, actor: string): Promise<Result<IssuedClockReset>> {
    const code = readRequestCode(requestCode);
    if (!code.ok) return code;
    const { lmid, highWater } = code.value;
    if (highWater === null) {
      return fail(
        'BAD_REQUEST',
        "This request code does not carry the License Manager's clock mark: it was made by a release before clock resets. Upgrade tessera-lm and make a new request code.",
      );
    }
    const now = this.options.clock.now();
    if (Date.parse(highWater) <= now) {
      return fail(
        'BAD_REQUEST',
        `The License Manager's clock mark (${highWater}) is not ahead of this License Center's time: there is nothing to reset. Set its clock right; if it still reports CLOCK_TAMPERED, its clock is behind.`,
      );
    }
    return this.sign(lmid, highWater, now, actor, 'request-code');
  }

  /**
   * The reset a sync answer carries (services/sync) when the LM's signed request names a mark ahead of this
   * License Center's time; null when it is not ahead (nothing to reset). The LM's key is the customer's, so a
   * request can name any mark, and a reset for a future mark could be collected now and applied later: a sync
   * reset is therefore small and rare. It names a mark at most SYNC_RESET_MAX_AHEAD_MS ahead (a clock set further
   * ahead goes to staff with a request code, who see the LM's history) and is issued at most once per LMID per
   * SYNC_RESET_EVERY_MS; and the LM refuses any reset older than the License Center time it last took, so one
   * collected before a later sync is dead. What remains is at most a week of clock a day, no more than a customer
   * gains by freezing the clock (docs/threat-model.md).
   */
  async forSync(lmid: string, clockMark: string): Promise<string | null> {
    const now = this.options.clock.now();
    const mark = Date.parse(clockMark);
    if (mark <= now || mark - now > SYNC_RESET_MAX_AHEAD_MS) return null;
    const recent = await this.options.audit.list({ subject: lmid, limit: 100 });
    if (recent.some((e) => e.action === 'clock.reset_issued' && e.actor === SYNC_ACTOR && e.at > now - SYNC_RESET_EVERY_MS)) return null;
    const issued = await this.sign(lmid, clockMark, now, SYNC_ACTOR, 'sync');
    return issued.ok ? issued.value.reset : null;
  }

  private async sign(
    lmid: string,
    fromHighWater: string,
    now: number,
    actor: string,
    via: 'request-code' | 'sync',
  ): Promise<Result<IssuedClockReset>> {
    const toTime = new Date(now).toISOString();
    const reset = issueClockReset(
      { id: `rst_${randomBytes(9).toString('base64url')}`, lmid, fromHighWater, toTime },
      await this.options.keys.activeNow(),
    );
    if (!reset.ok) return reset;
    await this.options.audit.append({ actor, action: 'clock.reset_issued', subject: lmid, data: { lmid, fromHighWater, toTime, via } });
    return ok({ lmid, fromHighWater, toTime, reset: reset.value });
  }
}

/** The audit actor of resets a License Manager's own sync asked for. */
const SYNC_ACTOR = 'lm-sync';
/** How far ahead of this center's time a mark may be for a reset without staff. */
export const SYNC_RESET_MAX_AHEAD_MS = 7 * 86_400_000;
/** At most one sync reset per LMID in this time. */
export const SYNC_RESET_EVERY_MS = 86_400_000;
