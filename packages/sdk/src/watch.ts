/**
 * watch(): the license at a License Manager without taking a seat, for a product's controller or UI. It reads
 * GET /v1/license every pollMs with a fresh nonce (at the next address of the LM's replicas when one is silent),
 * verifies the answer and the license (license-answer.ts) and evaluates the license on its own clock.
 *
 * When the LM is silent (no answer, or one that is not the LM's: see connect.ts) the last verified answer stays
 * in force for two polls, so a restart of the LM is not a licensing event. After that a usable license stands on
 * its signed outage grace, counted from when that answer was asked for (outage.ts): the state is Degraded, still
 * licensed, until the grace ends; then (and at once for a strict license, grace 0) it is Unreachable until the LM
 * answers again. Meanwhile the license is evaluated again on every poll: its expiry still ends it.
 */
import { LmAddresses } from './addresses.js';
import type { LmClient } from './lm-client.js';
import { askLicense, reevaluate } from './license-answer.js';
import type { ChainReading, VerifiedLicense } from './license-answer.js';
import { LiveLicense } from './live-license.js';
import { checkWatchOptions } from './options.js';
import type { CheckedWatchOptions } from './options.js';
import { degradedState, graceMsOf, hours, outageOf } from './outage.js';
import { factFields, hintFor, keptFacts, sentence, statusOfRefusal } from './state.js';
import type { LicenseState, LicenseWatch, WatchOptions } from './types.js';
import { sameIdentity } from './verify.js';

/** The last verified answer and when (and where) it was asked for. */
interface Heard {
  verified: VerifiedLicense;
  at: number;
  atWall: number;
  url: string;
}

type Asked =
  | { kind: 'verified'; verified: VerifiedLicense }
  | { kind: 'refused'; code: string; detail: string }
  | { kind: 'none'; detail: string; code: string | null };

class LicenseWatchImpl extends LiveLicense {
  private reading: ChainReading | null = null;
  private heard: Heard | null = null;
  private degraded = false;
  /** Why the last poll had no answer, for the sentence of the state it leads to. */
  private lastSilence = 'no answer';

  constructor(
    private readonly options: CheckedWatchOptions,
    private readonly addresses: LmAddresses,
  ) {
    super(unreachableState(addresses.describe(), 'not asked yet', null), options.timeoutMs, options.timers);
  }

  async start(): Promise<void> {
    await this.round();
    this.startRounds();
  }

  protected interval(): number {
    return this.options.pollMs;
  }

  /**
   * Asks the addresses in turn until one answers. While a license stands (the state is licensed), only a verified
   * answer counts, and from another LM only at the address the license was read at (elsewhere it is no replica).
   */
  protected async round(): Promise<void> {
    const standing = this.state.licensed ? this.heard : null;
    let refused: Extract<Asked, { kind: 'refused' }> | null = null;
    const silences: string[] = [];
    for (const client of this.addresses.inOrder()) {
      const at = this.elapsed();
      const atWall = this.options.clock.now();
      const asked = await this.ask(client);
      if (this.closed) return;
      if (asked.kind === 'verified') {
        const identity = asked.verified.identity;
        if (!standing || sameIdentity(standing.verified.identity, identity) || standing.url === client.url) {
          this.addresses.use(client);
          this.answered({ verified: asked.verified, at, atWall, url: client.url });
          return;
        }
        silences.push(`${client.url} answers as License Manager ${identity.lmid}, not a replica of ${standing.verified.identity.lmid}`);
      } else {
        if (asked.kind === 'refused') refused ??= asked;
        silences.push(this.addresses.many ? `${client.url}: ${asked.detail}` : asked.detail);
      }
    }
    if (refused && !standing) {
      // Nothing stands: a wrong secret, or an answer that failed a check, is what there is to say.
      this.update(refusedState(refused.code, refused.detail, this.state));
      return;
    }
    this.silence(silences.join('; '));
  }

  protected async onClose(): Promise<void> {
    this.addresses.close();
  }

  /** GET /v1/license at one address: verified, refused (a failed check, a wrong seat secret), or no answer. */
  private async ask(client: LmClient): Promise<Asked> {
    const { view, reading } = await askLicense(client, this.options, this.reading);
    this.reading = reading;
    if (view.kind === 'none' && view.code === 'UNAUTHORIZED') {
      // A wrong or missing seat secret is a mistake to fix, not an outage: said once nothing else stands.
      return {
        kind: 'refused',
        code: 'UNAUTHORIZED',
        detail: `The License Manager at ${client.url} refused to show its license: ${view.detail}`,
      };
    }
    return view.kind === 'failed' ? { kind: 'refused', code: view.code, detail: view.detail } : view;
  }

  /** A verified answer: the state it means, standing for two polls (and then its outage grace) from now. */
  private answered(heard: Heard): void {
    this.heard = heard;
    this.degraded = false;
    this.update(this.stateOf(heard.verified, heard.url));
    this.hold(heard.at + 2 * this.options.pollMs + this.options.timeoutMs, () =>
      this.quiet(`no answer for two polls: ${this.lastSilence}`),
    );
  }

  /** Two polls without an answer: a usable license goes on under its outage grace, if it has one left. */
  private quiet(detail: string): void {
    const heard = this.heard;
    const graceEnd = heard ? heard.at + graceMsOf(heard.verified.facts) : -Infinity;
    if (!heard || !this.state.licensed || graceEnd <= this.elapsed()) {
      this.update(unreachableState(this.addresses.describe(), detail, this.state));
      return;
    }
    this.degraded = true;
    const graceMs = graceMsOf(heard.verified.facts);
    this.hold(graceEnd, () => {
      this.degraded = false;
      this.update(unreachableState(this.addresses.describe(), `the license's outage grace of ${hours(graceMs)} ran out`, this.state));
    });
    this.update(this.degradedStateOf(heard, detail));
  }

  /** No address answered: a standing license is evaluated again on the SDK's clock; nothing else changes. */
  private silence(detail: string): void {
    this.lastSilence = detail;
    const heard = this.heard;
    if (!heard || !this.state.licensed) {
      // Within the hold the last answer stands, so a restart of the LM is not a licensing event.
      if (this.state.status === 'Unreachable') this.update(unreachableState(this.addresses.describe(), detail, this.state));
      return;
    }
    heard.verified = reevaluate(heard.verified, this.options);
    if (!heard.verified.evaluation.valid) {
      // The grace covers the LM's silence, never the license's own expiry (nor a clock set back).
      this.degraded = false;
      this.unhold();
      this.update(this.stateOf(heard.verified, heard.url));
      return;
    }
    this.update(
      this.degraded ? this.degradedStateOf(heard, detail) : { ...this.stateOf(heard.verified, heard.url), message: this.state.message },
    );
  }

  private degradedStateOf(heard: Heard, detail: string): LicenseState {
    const graceMs = graceMsOf(heard.verified.facts);
    return degradedState(this.stateOf(heard.verified, heard.url), {
      where: heard.url,
      detail,
      who: `${this.options.product} stays licensed`,
      outage: outageOf(heard.atWall, graceMs),
      graceMs,
    });
  }

  /** The state a verified answer means. */
  private stateOf(verified: VerifiedLicense, url: string): LicenseState {
    const { product } = this.options;
    const { facts, evaluation, status } = verified;
    const licensed = evaluation.valid;
    const message = licensed
      ? `${product} is licensed by the License Manager at ${url}: ${evaluation.detail}`
      : sentence(`${product} is not licensed by the License Manager at ${url}: ${evaluation.detail}`, hintUnlessSaid(evaluation.code));
    return { ...factFields(facts, evaluation.daysLeft), licensed, status, code: evaluation.code, message, seat: null };
  }
}

/** evaluate()'s sentences already say what to do for these codes. */
function hintUnlessSaid(code: string): string {
  return ['EXPIRED', 'IN_GRACE', 'NO_LICENSE', 'CLOCK_TAMPERED'].includes(code) ? '' : hintFor(code);
}

/** The state for an answer or license that cannot be used; the license facts shown before are kept, not granted. */
function refusedState(code: string, detail: string, previous: LicenseState): LicenseState {
  const message = sentence(`The license cannot be used: ${detail}`, hintFor(code));
  return { ...previous, licensed: false, status: statusOfRefusal(code, null), code, message, seat: null, outage: null };
}

/**
 * The state once the LM has not answered for longer than the last answer may stand; the license facts are kept.
 * @param where the LM's address, or its replicas' ("http://a:9119 or http://b:9119")
 */
export function unreachableState(where: string, detail: string, previous: LicenseState | null): LicenseState {
  return {
    ...keptFacts(previous),
    licensed: false,
    status: 'Unreachable',
    code: 'LM_UNREACHABLE',
    message: `The License Manager at ${where} cannot be reached (${detail}). Check that tessera-lm is running and reachable from this host; licensing resumes as soon as it answers.`,
    seat: null,
  };
}

/**
 * Watches the license at a License Manager without taking a seat. Resolves whatever the license state (even
 * when the LM cannot be reached); rejects only on bad options (LicenseError BAD_OPTIONS). While the LM is silent a
 * usable license stands for two polls, then for its outage grace (status Degraded).
 *
 * @example
 * const license = await watch({ url: 'http://lm.internal:9119', product: 'guard', root: VENDOR_ROOT });
 * if (license.isEnabled('federation')) enableFederation();
 * license.on('change', (state) => console.log(state.message));
 */
export async function watch(options: WatchOptions): Promise<LicenseWatch> {
  const checked = checkWatchOptions(options);
  const live = new LicenseWatchImpl(checked, new LmAddresses(checked));
  await live.start();
  return live;
}
