/**
 * connect(): a node's seat at its License Manager. It checks the license and takes a seat at start (or rejects
 * with a LicenseError saying why), then heartbeats in the background. Every round reads the license with a fresh
 * nonce, verifies it up to the product's root and evaluates it on the SDK's own clock (license-answer.ts): a
 * license the SDK does not find usable holds no seat, whatever the LM says. The seat belongs to this connection
 * (a random instance id), so another process with the same node id cannot share it. A renewal counts only with a
 * lease token the LM signed for this lease and instance, under the license verified (id and serial), that is newer
 * (a later issuedAt) than the last one accepted: an
 * answer that does not verify counts as no answer, and a replayed token keeps the seat but does not extend it, so
 * nothing between node and LM can keep a seat alive that the LM let go. The seat outlives an LM outage (or a
 * 429, or an answer that is not the LM's) for as long as its lease (measured as time elapsed since the last
 * renewal sent); an LM that forgot the lease (a restart) gets a checkout again, so the node never looks
 * unlicensed; a refused node keeps trying, so a renewed or expanded license gives it its seat back.
 */
import { randomUUID } from 'node:crypto';
import { LmClient, newNonce } from './lm-client.js';
import { readLicenseAnswer } from './license-answer.js';
import type { ChainReading, VerifiedLicense } from './license-answer.js';
import { LiveLicense } from './live-license.js';
import { checkConnectOptions } from './options.js';
import type { CheckedConnectOptions } from './options.js';
import { factFields, hintUnlessGiven, sentence, statusOfRefusal } from './state.js';
import { LicenseError } from './types.js';
import type { Connection, ConnectOptions, LicenseState, LicenseStatusName } from './types.js';
import { sameIdentity, verifyLeaseToken } from './verify.js';
import type { LicenseRef, LmIdentity } from './verify.js';
import { unreachableState } from './watch.js';

interface Lease {
  id: string;
  expiresAt: string;
  /** The latest verified lease token. */
  token: string;
  /** Its issuedAt (the LM's clock): only a later one moves the deadline. */
  issuedAt: number;
  /** The LM identity the lease was taken under: renewals must be signed by it. */
  identity: LmIdentity;
  /** Until then (on the elapsed() clock) the lease is surely still held: the TTL from when its last renewal was sent. */
  deadline: number;
}

/**
 * Refusals that are the LM's word on this seat (its license's codes and the seat codes). Anything else (429, 408,
 * RATE_LIMITED, a 4xx with another code, as a proxy or a gateway may send) is ridden out like an outage.
 */
const SEAT_REFUSALS = new Set([
  'LEASE_NOT_FOUND',
  'NODE_ID_IN_USE',
  'TOO_MANY_NODES',
  'ROLE_NOT_LICENSED',
  'PRODUCT_MISMATCH',
  'NO_LICENSE',
  'EXPIRED',
  'NOT_YET_VALID',
  'LMID_MISMATCH',
  'CLOCK_TAMPERED',
  'SUPERSEDED',
  'SIGNATURE_INVALID',
  'UNKNOWN_KEY',
  'KEY_REVOKED',
  'MALFORMED',
  'UNSUPPORTED_VERSION',
  'WRONG_KIND',
]);

function isSeatRefusal(reply: { httpStatus: number; code: string }): boolean {
  return reply.httpStatus !== 408 && reply.httpStatus !== 429 && SEAT_REFUSALS.has(reply.code);
}

type SeatOutcome =
  | { kind: 'held' }
  /** `licenseStatus`: the verified license's status when the refusal is not about the license itself. */
  | { kind: 'refused'; code: string; message: string; licenseStatus: LicenseStatusName | null }
  | { kind: 'unreachable'; detail: string };

/**
 * What this round learnt from GET /v1/license: a verified license (and the SDK's verdict on it), an answer that
 * failed a check (the LM or its license cannot be trusted: no seat there), or no usable answer (`code`
 * UNAUTHORIZED when the LM refused for want of the seat secret).
 */
type LicenseView =
  | { kind: 'verified'; verified: VerifiedLicense }
  | { kind: 'refused'; code: string; detail: string }
  | { kind: 'none'; detail: string; code: string | null };

class ConnectionImpl extends LiveLicense {
  private lease: Lease | null = null;
  private reading: ChainReading | null = null;
  /** The last license verified: a renewal's token must name it. */
  private verified: VerifiedLicense | null = null;
  private ttlMs = 0;
  /** This connection's id at the LM: the seat belongs to it, not to whoever uses the same node id. */
  private readonly instance = randomUUID();
  /** Set once close() has released (or found no) seat: a checkout answered later is released at once. */
  private released = false;

  constructor(
    private readonly options: CheckedConnectOptions,
    private readonly client: LmClient,
  ) {
    super(unreachableState(options.url, 'not asked yet', null), options.timeoutMs, options.timers);
  }

  /** The first round: any outcome but a seat rejects connect(). */
  async open(): Promise<void> {
    const view = await this.readLicense();
    const outcome = view.kind === 'verified' && view.verified.evaluation.valid ? await this.takeSeat(view.verified) : noSeat(view);
    this.apply(outcome, false);
    if (outcome.kind !== 'held') throw new LicenseError(this.state.code, this.state.message, this.status());
    this.startRounds();
  }

  protected interval(): number {
    const heartbeat = Math.min(this.options.heartbeatMs ?? this.ttlMs / 3, this.ttlMs / 2);
    return Math.max(10, Math.round(Math.min(heartbeat, this.options.pollMsGiven ?? Infinity)));
  }

  protected async round(): Promise<void> {
    const view = await this.readLicense();
    if (this.closed) return;
    let outcome: SeatOutcome;
    if (view.kind === 'refused' || (view.kind === 'verified' && !view.verified.evaluation.valid)) {
      // The LM or its license failed a check, or the SDK's own verdict is no: hold no seat there.
      this.dropLease();
      outcome = noSeat(view);
    } else {
      outcome = await this.keepSeat(view);
    }
    if (this.closed) return;
    this.apply(outcome, true);
  }

  protected async onClose(): Promise<void> {
    const lease = this.lease;
    this.lease = null;
    this.released = true;
    this.state = {
      ...this.state,
      licensed: false,
      seat: null,
      message: `This connection was closed; the seat of node "${this.options.nodeId}" was released.`,
    };
    if (lease) await this.client.release({ leaseId: lease.id, instance: this.instance }); // an LM that is down frees it when the lease runs out
    this.client.close();
  }

  /** GET /v1/license with a fresh nonce, verified and evaluated (license-answer.ts). */
  private async readLicense(): Promise<LicenseView> {
    const nonce = newNonce();
    const reply = await this.client.license(nonce);
    if (reply.kind === 'unreachable') return { kind: 'none', detail: reply.detail, code: null };
    if (reply.kind === 'refused' && reply.code === 'UNAUTHORIZED') return { kind: 'none', detail: reply.message, code: reply.code };
    if (reply.kind === 'refused') {
      return {
        kind: 'none',
        detail: `it answered GET /v1/license with HTTP ${reply.httpStatus} ${reply.code}: ${reply.message}`,
        code: null,
      };
    }
    const { url, product, roots, clock } = this.options;
    const checked = readLicenseAnswer(reply.body, { url, product, roots, clock, nonce }, this.reading);
    this.reading = checked.reading;
    if (!checked.outcome.ok) return { kind: 'refused', code: checked.outcome.code, detail: checked.outcome.detail };
    this.verified = checked.outcome.value;
    return { kind: 'verified', verified: checked.outcome.value };
  }

  /** Renews the lease, or checks out again when the LM no longer knows it (LEASE_NOT_FOUND) or none is held. */
  private async keepSeat(view: LicenseView): Promise<SeatOutcome> {
    const identity = view.kind === 'verified' ? view.verified.identity : null;
    if (this.lease && identity && !sameIdentity(this.lease.identity, identity)) {
      // Another LM (or a new LM key) answers at this address: the lease was the old one's, so take a seat here.
      this.dropLease(false);
    }
    const lease = this.lease;
    if (lease && this.verified?.license) {
      const outcome = await this.renew(lease, this.verified.license);
      if (outcome) return outcome;
    }
    // The license read of this round may have failed while the LM was coming back: read it again before a checkout.
    const current = view.kind === 'verified' ? view : await this.readLicense();
    if (current.kind !== 'verified' || !current.verified.evaluation.valid) return noSeat(current);
    if (this.closed) return { kind: 'unreachable', detail: 'closed' }; // no new seat for a closed connection
    return this.takeSeat(current.verified);
  }

  /**
   * One heartbeat. The LM answers the lease's last token while it is younger than TTL/6 and signs a new one (later
   * issuedAt) after that. Only a new token for the license verified moves the deadline, to when this heartbeat was
   * sent plus the TTL; the same token again keeps the seat held without moving it (so a proxy replaying it cannot
   * extend the seat); an older or unverified one, or one signed under another license or serial, is no answer.
   * Answers null when the LM no longer knows the lease (check out again).
   *
   * Why a real LM keeps the seat: heartbeats go out at most TTL/2 apart (interval() caps them), so the first one
   * reaching the LM TTL/6 or more after it signed the last token gets a new token, and it was sent at most
   * TTL/6 + TTL/2 = 2/3 TTL after the heartbeat (or checkout) that brought the last one. That is before the
   * deadline it set (its send time + TTL), with TTL/3 to spare for the round's own time and the answer's way back.
   */
  private async renew(lease: Lease, license: LicenseRef): Promise<SeatOutcome | null> {
    const { product, role, nodeId } = this.options;
    const sentAt = this.elapsed();
    const reply = await this.client.heartbeat({ leaseId: lease.id, instance: this.instance });
    if (reply.kind === 'ok') {
      const fields = { leaseId: lease.id, product, role, nodeId, instance: this.instance };
      const token = typeof reply.body.token === 'string' ? reply.body.token : '';
      const verified = verifyLeaseToken(token, { identity: lease.identity, fields, license, now: this.options.clock.now() });
      if (!verified.ok) return { kind: 'unreachable', detail: `its heartbeat answer did not verify: ${verified.detail}` };
      const { issuedAt, expiresAt } = verified.value;
      if (issuedAt < lease.issuedAt) return { kind: 'unreachable', detail: 'its heartbeat answer was an older lease token' };
      if (this.lease !== lease) return { kind: 'unreachable', detail: 'closed' }; // close() released it meanwhile
      if (issuedAt > lease.issuedAt) this.holdLease({ ...lease, expiresAt, token, issuedAt, deadline: sentAt + this.ttlMs });
      return { kind: 'held' };
    }
    if (reply.kind === 'unreachable') return reply;
    if (!isSeatRefusal(reply)) {
      return { kind: 'unreachable', detail: `it answered the heartbeat with HTTP ${reply.httpStatus} ${reply.code}: ${reply.message}` };
    }
    this.dropLease(reply.code !== 'LEASE_NOT_FOUND'); // a lease the LM does not know needs no release
    return reply.code === 'LEASE_NOT_FOUND' ? null : { ...reply, kind: 'refused', licenseStatus: this.verified?.status ?? null };
  }

  private async takeSeat(verified: VerifiedLicense): Promise<SeatOutcome> {
    const { product, role, nodeId, host } = this.options;
    const { identity, license } = verified;
    const sentAt = this.elapsed();
    const reply = await this.client.checkout({ product, role, nodeId, instance: this.instance, host });
    if (reply.kind === 'refused' && !isSeatRefusal(reply)) {
      return { kind: 'unreachable', detail: `it answered the checkout with HTTP ${reply.httpStatus} ${reply.code}: ${reply.message}` };
    }
    if (reply.kind === 'unreachable') return reply;
    if (reply.kind === 'refused') return { ...reply, licenseStatus: verified.status };
    const fields = { leaseId: reply.body.leaseId, product, role, nodeId, instance: this.instance };
    const checked = license
      ? verifyLeaseToken(reply.body.token, { identity, fields, license, now: this.options.clock.now() })
      : ({ ok: false, code: 'LEASE_TOKEN_INVALID', detail: 'The License Manager granted a seat without a license.' } as const);
    if (!checked.ok) {
      void this.client.release({ leaseId: reply.body.leaseId, instance: this.instance }); // not trusted, so not kept
      return { kind: 'refused', code: checked.code, message: checked.detail, licenseStatus: null };
    }
    if (this.released) {
      // close() gave up waiting for this checkout and has finished: give the seat back at once.
      await this.client.release({ leaseId: reply.body.leaseId, instance: this.instance });
      return { kind: 'unreachable', detail: 'closed' };
    }
    const answered = reply.body.ttlSeconds * 1000;
    this.ttlMs = answered > 0 ? Math.min(answered, checked.value.ttlMs) : checked.value.ttlMs;
    const token = reply.body.token;
    const { issuedAt } = checked.value;
    this.holdLease({ id: reply.body.leaseId, expiresAt: reply.body.expiresAt, token, issuedAt, identity, deadline: sentAt + this.ttlMs });
    return { kind: 'held' };
  }

  private holdLease(lease: Lease): void {
    this.lease = lease;
    this.hold(lease.deadline, () => {
      this.lease = null;
      this.update(this.unreachable('its lease ran out without a new verified renewal'));
    });
  }

  private dropLease(release = true): void {
    if (this.lease && release) void this.client.release({ leaseId: this.lease.id, instance: this.instance });
    this.lease = null;
    this.unhold();
  }

  /** Turns a round's outcome into the state; `retrying` adds that the SDK keeps trying. */
  private apply(outcome: SeatOutcome, retrying: boolean): void {
    const { product, role, nodeId, url } = this.options;
    const node = `${product} node "${nodeId}" (role ${role})`;
    const verified = this.verified;
    const facts = factFields(verified?.facts ?? null, verified?.evaluation.daysLeft ?? null);
    if (outcome.kind === 'held' && verified) {
      const lease = this.lease!;
      this.update({
        ...facts,
        licensed: true,
        status: verified.status,
        code: verified.evaluation.code,
        message: sentence(`${node} holds a seat at the License Manager at ${url}.`, verified.evaluation.detail),
        seat: { leaseId: lease.id, expiresAt: lease.expiresAt, token: lease.token },
      });
      return;
    }
    if (outcome.kind !== 'refused') {
      // A held seat rides out the outage until its lease runs out (the hold timer); only then does the state change.
      if (!this.lease) this.update(this.unreachable(outcome.kind === 'unreachable' ? outcome.detail : 'no verified license', retrying));
      return;
    }
    const message = sentence(
      `${node} has no seat at the License Manager at ${url}: ${outcome.message}`,
      hintUnlessGiven(outcome.code, outcome.message),
      retrying ? 'It keeps trying and takes the seat as soon as it is granted.' : '',
    );
    this.update({
      ...facts,
      licensed: false,
      status: statusOfRefusal(outcome.code, outcome.licenseStatus),
      code: outcome.code,
      message,
      seat: null,
    });
  }

  private unreachable(detail: string, retrying = true): LicenseState {
    const state = unreachableState(this.options.url, detail, this.state);
    const node = `${this.options.product} node "${this.options.nodeId}" (role ${this.options.role})`;
    // At start nothing retries (connect() rejects): the advice is to fix the LM or the address and start again.
    const then = retrying ? 'the node takes its seat again as soon as it answers.' : 'then start the node again.';
    return {
      ...state,
      message: `The License Manager at ${this.options.url} cannot be reached (${detail}), so ${node} holds no seat. Check that tessera-lm is running and reachable from this host at that address; ${then}`,
    };
  }
}

/** The outcome of a round that takes no seat: a refusal (the SDK's own verdict or a failed check), or no answer. */
function noSeat(view: LicenseView): SeatOutcome {
  if (view.kind === 'verified') {
    const { evaluation, status } = view.verified;
    return { kind: 'refused', code: evaluation.code, message: evaluation.detail, licenseStatus: status };
  }
  if (view.kind === 'refused') return { kind: 'refused', code: view.code, message: view.detail, licenseStatus: null };
  // Without a seat to ride out on, the LM's refusal for want of the seat secret is the node's answer.
  if (view.code === 'UNAUTHORIZED') return { kind: 'refused', code: 'UNAUTHORIZED', message: view.detail, licenseStatus: null };
  return { kind: 'unreachable', detail: view.detail };
}

/**
 * Checks the license and takes a seat for this node; rejects with a LicenseError (code and sentence) when the
 * node is not licensed, the LM cannot be reached, or its answers do not verify. Bad options: LicenseError
 * BAD_OPTIONS.
 *
 * @example
 * const license = await connect({ url: 'http://lm.internal:9119', product: 'graphdb', role: 'query', nodeId: 'query-1', root: VENDOR_ROOT });
 * license.on('change', (state) => log.info(state.message));
 * process.on('SIGTERM', () => void license.close());
 */
export async function connect(options: ConnectOptions): Promise<Connection> {
  const checked = checkConnectOptions(options);
  const connection = new ConnectionImpl(checked, new LmClient(checked));
  await connection.open();
  return connection;
}
