/**
 * watch(): the license at a License Manager without taking a seat, for a product's controller or UI. It reads
 * GET /v1/license every pollMs with a fresh nonce, verifies the answer and the license (license-answer.ts) and
 * evaluates the license on its own clock. When the LM cannot be reached the last answer stays in force for two
 * polls (a restart of the LM is not a licensing event); after that the state is Unreachable until the LM answers
 * again.
 */
import { LmClient, newNonce } from './lm-client.js';
import type { LicenseAnswer } from './lm-client.js';
import { readLicenseAnswer } from './license-answer.js';
import type { ChainReading } from './license-answer.js';
import { LiveLicense } from './live-license.js';
import { checkWatchOptions } from './options.js';
import type { CheckedWatchOptions } from './options.js';
import { factFields, hintFor, sentence, statusOfRefusal } from './state.js';
import type { LicenseState, LicenseWatch, WatchOptions } from './types.js';

class LicenseWatchImpl extends LiveLicense {
  private reading: ChainReading | null = null;

  constructor(
    private readonly options: CheckedWatchOptions,
    private readonly client: LmClient,
  ) {
    super(unreachableState(options.url, 'not asked yet', null), options.timeoutMs, options.timers);
  }

  async start(): Promise<void> {
    await this.round();
    this.startRounds();
  }

  protected interval(): number {
    return this.options.pollMs;
  }

  protected async round(): Promise<void> {
    const sentAt = this.elapsed();
    const nonce = newNonce();
    const reply = await this.client.license(nonce);
    if (this.closed) return;
    if (reply.kind === 'refused' && reply.code === 'UNAUTHORIZED') {
      // A wrong or missing seat secret is a mistake to fix, not an outage: say so once nothing else stands.
      const detail = `The License Manager at ${this.options.url} refused to show its license: ${reply.message}`;
      if (!this.state.licensed) this.update(refusedState('UNAUTHORIZED', detail, this.state));
      return;
    }
    if (reply.kind !== 'ok') {
      this.noAnswer(reply.kind === 'unreachable' ? reply.detail : `it answered HTTP ${reply.httpStatus} ${reply.code}: ${reply.message}`);
      return;
    }
    const next = this.stateOf(reply.body, nonce);
    this.update(next);
    this.hold(sentAt + 2 * this.options.pollMs + this.options.timeoutMs, () =>
      this.update(unreachableState(this.options.url, 'no answer for two polls', this.state)),
    );
  }

  protected async onClose(): Promise<void> {
    this.client.close();
  }

  /** The state an answer means. */
  private stateOf(body: LicenseAnswer, nonce: string): LicenseState {
    const { url, product, roots, clock } = this.options;
    const checked = readLicenseAnswer(body, { url, product, roots, clock, nonce }, this.reading);
    this.reading = checked.reading;
    const outcome = checked.outcome;
    if (!outcome.ok) return refusedState(outcome.code, outcome.detail, this.state);
    const { facts, evaluation, status } = outcome.value;
    const licensed = evaluation.valid;
    const message = licensed
      ? `${product} is licensed by the License Manager at ${url}: ${evaluation.detail}`
      : sentence(`${product} is not licensed by the License Manager at ${url}: ${evaluation.detail}`, hintUnlessSaid(evaluation.code));
    return { ...factFields(facts, evaluation.daysLeft), licensed, status, code: evaluation.code, message, seat: null };
  }

  private noAnswer(detail: string): void {
    // Within the hold the last answer stands, so a restart of the LM is not a licensing event.
    if (this.state.status === 'Unreachable') this.update(unreachableState(this.options.url, detail, this.state));
  }
}

/** evaluate()'s sentences already say what to do for these codes. */
function hintUnlessSaid(code: string): string {
  return ['EXPIRED', 'IN_GRACE', 'NO_LICENSE', 'CLOCK_TAMPERED'].includes(code) ? '' : hintFor(code);
}

/** The state for an answer or license that cannot be used; the license facts shown before are kept, not granted. */
function refusedState(code: string, detail: string, previous: LicenseState): LicenseState {
  const message = sentence(`The license cannot be used: ${detail}`, hintFor(code));
  return { ...previous, licensed: false, status: statusOfRefusal(code, null), code, message, seat: null };
}

/** The state once the LM has not answered for longer than the last answer may stand; the license facts are kept. */
export function unreachableState(url: string, detail: string, previous: LicenseState | null): LicenseState {
  return {
    ...factFields(null),
    ...(previous
      ? {
          licenseId: previous.licenseId,
          serial: previous.serial,
          expiresAt: previous.expiresAt,
          daysLeft: previous.daysLeft,
          features: previous.features,
          limits: previous.limits,
          nodes: previous.nodes,
        }
      : {}),
    licensed: false,
    status: 'Unreachable',
    code: 'LM_UNREACHABLE',
    message: `The License Manager at ${url} cannot be reached (${detail}). Check that tessera-lm is running and reachable from this host; licensing resumes as soon as it answers.`,
    seat: null,
  };
}

/**
 * Watches the license at a License Manager without taking a seat. Resolves whatever the license state (even
 * when the LM cannot be reached); rejects only on bad options (LicenseError BAD_OPTIONS).
 *
 * @example
 * const license = await watch({ url: 'http://lm.internal:9119', product: 'guard', root: VENDOR_ROOT });
 * if (license.isEnabled('federation')) enableFederation();
 * license.on('change', (state) => console.log(state.message));
 */
export async function watch(options: WatchOptions): Promise<LicenseWatch> {
  const checked = checkWatchOptions(options);
  const live = new LicenseWatchImpl(checked, new LmClient(checked));
  await live.start();
  return live;
}
