/**
 * What this process has accepted, so that nothing goes backwards within it (DESIGN decision 9): the highest
 * trust-bundle serial per vendor root, the highest license serial per License Manager and license, and the
 * highest time read from each clock. It is kept per process, not per connection, because a product's watch()
 * and connect() talk to the same vendor: an older bundle or license shown to one after the other saw a newer
 * one is refused by both. A Seen of its own is for the conformance vectors, which state what was accepted before.
 */
import type { SdkClock } from './types.js';

export class Seen {
  private readonly bundleSerials = new Map<string, number>();
  private readonly licenseSerials = new Map<string, number>();
  // Per clock object: a test's clock (or a product's own) has its own time, which must not mix with this host's.
  private readonly clockHighWater = new WeakMap<SdkClock, number>();

  /** The highest trust-bundle serial accepted under any of these roots (by kid), or 0. */
  highestBundleSerial(rootKids: readonly string[]): number {
    return Math.max(0, ...rootKids.map((kid) => this.bundleSerials.get(kid) ?? 0));
  }

  /** Remembers a verified bundle's serial under each root the product trusts (a rotation shares one sequence). */
  acceptBundleSerial(rootKids: readonly string[], serial: number): void {
    for (const kid of rootKids) if (serial > (this.bundleSerials.get(kid) ?? 0)) this.bundleSerials.set(kid, serial);
  }

  /** The highest serial accepted for this license at this License Manager, or null. */
  knownLicenseSerial(lmid: string, licenseId: string): { licenseId: string; serial: number } | null {
    const serial = this.licenseSerials.get(`${lmid}/${licenseId}`);
    return serial === undefined ? null : { licenseId, serial };
  }

  acceptLicenseSerial(lmid: string, licenseId: string, serial: number): void {
    const key = `${lmid}/${licenseId}`;
    if (serial > (this.licenseSerials.get(key) ?? 0)) this.licenseSerials.set(key, serial);
  }

  /**
   * Reads the clock and answers the time with the highest time read from it before: a clock set back while the
   * product runs is then caught by evaluate() (CLOCK_TAMPERED), whatever the License Manager says.
   */
  readClock(clock: SdkClock): { now: number; highWater: number | null } {
    const now = clock.now();
    const highWater = this.clockHighWater.get(clock) ?? null;
    if (highWater === null || now > highWater) this.clockHighWater.set(clock, now);
    return { now, highWater };
  }
}

/** What this process has accepted: shared by every watch(), connect() and verifySeat() in it. */
export const processSeen = new Seen();
