/**
 * watch(): the license at a License Manager without taking a seat, for a product's controller or UI. It reads
 * GET /v1/license every pollMs. When the LM cannot be reached the last answer stays in force for two polls (a
 * restart of the LM is not a licensing event); after that the state is Unreachable until the LM answers again.
 */
import { LmClient } from './lm-client.js';
import type { LicenseAnswer, LmReply } from './lm-client.js';
import { LiveLicense } from './live-license.js';
import { checkWatchOptions } from './options.js';
import type { CheckedWatchOptions } from './options.js';
import { factFields, hintFor, hintUnlessGiven, sentence, statusName, statusOfRefusal, USABLE } from './state.js';
import type { LicenseState, LicenseWatch, WatchOptions } from './types.js';
import { checkIdentity, readLicenseFacts } from './verify.js';

/** Cached by license text and LMID, so a poll that brings the same license costs no signature check. */
export interface LicenseReading {
  text: string;
  lmid: string;
  outcome: ReturnType<typeof readLicenseFacts>;
}

/** Reads the license of a /v1/license answer, reusing the last reading when the text is the same. */
export function readAnswer(answer: LicenseAnswer, options: CheckedWatchOptions, last: LicenseReading | null): LicenseReading | null {
  if (answer.license === null) return null;
  if (last && last.text === answer.license && last.lmid === answer.lmid) return last;
  return {
    text: answer.license,
    lmid: answer.lmid,
    outcome: readLicenseFacts(answer.license, options.trust, answer.lmid, options.product),
  };
}

class LicenseWatchImpl extends LiveLicense {
  private reading: LicenseReading | null = null;

  constructor(
    private readonly options: CheckedWatchOptions,
    private readonly client: LmClient,
  ) {
    super(unreachableState(options.url, 'not asked yet', null), options.timeoutMs);
  }

  async start(): Promise<void> {
    await this.round();
    this.startRounds();
  }

  protected interval(): number {
    return this.options.pollMs;
  }

  protected async round(): Promise<void> {
    const sentAt = Date.now();
    const reply = await this.client.license();
    if (this.closed) return;
    const next = this.stateOf(reply);
    if (next === null) {
      this.noAnswer(reply.kind === 'unreachable' ? reply.detail : 'it refused to show its license');
      return;
    }
    this.update(next);
    this.hold(sentAt + 2 * this.options.pollMs + this.options.timeoutMs, () =>
      this.update(unreachableState(this.options.url, 'no answer for two polls', this.state)),
    );
  }

  protected async onClose(): Promise<void> {}

  /** The state an answer means, or null when there is no usable answer. */
  private stateOf(reply: LmReply<LicenseAnswer>): LicenseState | null {
    if (reply.kind !== 'ok') return null;
    const answer = reply.body;
    const identity = checkIdentity(answer);
    if (!identity.ok) return refusedState(identity.code, identity.detail, this.state, this.options.url);
    this.reading = readAnswer(answer, this.options, this.reading);
    const reading = this.reading?.outcome ?? null;
    if (reading && !reading.ok) return refusedState(reading.code, reading.detail, this.state, this.options.url);
    const facts = reading?.value ?? null;
    const fields = factFields(facts);
    if (facts && facts.product !== this.options.product) {
      const detail = `The License Manager at ${this.options.url} holds a license for ${facts.product}, not for ${this.options.product}.`;
      return {
        ...fields,
        licensed: false,
        status: 'Invalid',
        code: 'PRODUCT_MISMATCH',
        message: sentence(detail, hintFor('PRODUCT_MISMATCH')),
        seat: null,
      };
    }
    const licensed = USABLE.includes(answer.status);
    const message = licensed
      ? `${this.options.product} is licensed by the License Manager at ${this.options.url}: ${answer.detail}`
      : sentence(
          `${this.options.product} is not licensed by the License Manager at ${this.options.url}: ${answer.detail}`,
          hintUnlessGiven(answer.code, answer.detail),
        );
    return { ...fields, licensed, status: statusName(answer.status), code: answer.code, message, seat: null };
  }

  private noAnswer(detail: string): void {
    // Within the hold the last answer stands, so a restart of the LM is not a licensing event.
    if (this.state.status === 'Unreachable') this.update(unreachableState(this.options.url, detail, this.state));
  }
}

function refusedState(code: string, detail: string, previous: LicenseState, url: string): LicenseState {
  const message = sentence(`The license at the License Manager at ${url} cannot be used: ${detail}`, hintFor(code));
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
 * const license = await watch({ url: 'http://lm.internal:9119', product: 'guard' });
 * if (license.isEnabled('federation')) enableFederation();
 * license.on('change', (state) => console.log(state.message));
 */
export async function watch(options: WatchOptions): Promise<LicenseWatch> {
  const checked = checkWatchOptions(options);
  const live = new LicenseWatchImpl(checked, new LmClient(checked.url, checked.timeoutMs));
  await live.start();
  return live;
}
