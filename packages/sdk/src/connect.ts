/**
 * connect(): a node's seat at its License Manager. It checks the license and takes a seat at start (or rejects
 * with a LicenseError saying why), then heartbeats in the background. The seat belongs to this connection (a
 * random instance id), so another process with the same node id cannot share it. A renewal counts only with a lease
 * token the LM signed for this lease and instance that is newer (a later issuedAt) than the last one accepted: an
 * answer that does not verify counts as no answer, and a replayed token keeps the seat but does not extend it, so
 * nothing between node and LM can keep a seat alive that the LM let go. The seat outlives an LM outage (or a
 * 429, or an answer that is not the LM's) for as long as its lease (measured on this host's clock from the last
 * renewal sent); an LM that forgot the lease (a restart) gets a checkout again, so the node never looks
 * unlicensed; a refused node keeps trying, so a renewed or expanded license gives it its seat back.
 */
import { randomUUID } from 'node:crypto';
import { LmClient } from './lm-client.js';
import type { LicenseAnswer, LmReply } from './lm-client.js';
import { LiveLicense } from './live-license.js';
import { checkConnectOptions } from './options.js';
import type { CheckedConnectOptions } from './options.js';
import { factFields, hintUnlessGiven, sentence, statusName, statusOfRefusal } from './state.js';
import { LicenseError } from './types.js';
import type { Connection, ConnectOptions, LicenseState } from './types.js';
import { checkIdentity, sameIdentity, verifyLeaseToken } from './verify.js';
import type { LmIdentity } from './verify.js';
import { readAnswer, unreachableState } from './watch.js';
import type { LicenseReading } from './watch.js';

interface Lease {
  id: string;
  expiresAt: string;
  /** The latest verified lease token. */
  token: string;
  /** Its issuedAt (the LM's clock): only a later one moves the deadline. */
  issuedAt: number;
  /** The LM identity the lease was taken under: renewals must be signed by it. */
  identity: LmIdentity;
  /** This host's clock: the lease is surely still held until then. */
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
  | { kind: 'held'; status: string; code: string }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'unreachable'; detail: string };

/** What a /v1/license answer says: the LM's identity and license, or why they cannot be used. */
type LicenseView = { ok: true; identity: LmIdentity; answer: LicenseAnswer } | { ok: false; code: string; detail: string } | null;

class ConnectionImpl extends LiveLicense {
  private lease: Lease | null = null;
  private reading: LicenseReading | null = null;
  private facts = factFields(null);
  private ttlMs = 0;
  private lastDetail = '';
  /** This connection's id at the LM: the seat belongs to it, not to whoever uses the same node id. */
  private readonly instance = randomUUID();
  /** Set once close() has released (or found no) seat: a checkout answered later is released at once. */
  private released = false;

  constructor(
    private readonly options: CheckedConnectOptions,
    private readonly client: LmClient,
  ) {
    super(unreachableState(options.url, 'not asked yet', null), options.timeoutMs);
  }

  /** The first round: any outcome but a seat rejects connect(). */
  async open(): Promise<void> {
    const reply = await this.client.license();
    const view = this.view(reply);
    const outcome: SeatOutcome = !view
      ? { kind: 'unreachable', detail: reply.kind === 'unreachable' ? reply.detail : 'no usable answer to GET /v1/license' }
      : view.ok
        ? await this.takeSeat(view.identity)
        : { kind: 'refused', code: view.code, message: view.detail };
    this.apply(outcome, view, false);
    if (outcome.kind !== 'held') throw new LicenseError(this.state.code, this.state.message, this.status());
    this.startRounds();
  }

  protected interval(): number {
    const heartbeat = Math.min(this.options.heartbeatMs ?? this.ttlMs / 3, this.ttlMs / 2);
    return Math.max(10, Math.round(Math.min(heartbeat, this.options.pollMsGiven ?? Infinity)));
  }

  protected async round(): Promise<void> {
    const view = this.view(await this.client.license());
    if (this.closed) return;
    let outcome: SeatOutcome;
    if (view && !view.ok) {
      // The LM or its license failed a check: hold no seat there.
      this.dropLease();
      outcome = { kind: 'refused', code: view.code, message: view.detail };
    } else {
      outcome = await this.keepSeat(view?.identity ?? null);
    }
    if (this.closed) return;
    this.apply(outcome, view, true);
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
    if (lease) await this.client.release(lease.id); // an LM that is down frees it when the lease runs out
  }

  private view(reply: LmReply<LicenseAnswer>): LicenseView {
    if (reply.kind !== 'ok') return null;
    const identity = checkIdentity(reply.body);
    if (!identity.ok) return identity;
    this.reading = readAnswer(reply.body, this.options, this.reading);
    const outcome = this.reading?.outcome ?? null;
    if (outcome && !outcome.ok) return outcome;
    this.facts = factFields(outcome?.value ?? null);
    this.lastDetail = reply.body.detail;
    return { ok: true, identity: identity.value, answer: reply.body };
  }

  /** Renews the lease, or checks out again when the LM no longer knows it (LEASE_NOT_FOUND) or none is held. */
  private async keepSeat(identity: LmIdentity | null): Promise<SeatOutcome> {
    if (this.lease && identity && !sameIdentity(this.lease.identity, identity)) {
      // Another LM (or a new LM key) answers at this address: the lease was the old one's, so take a seat here.
      this.dropLease(false);
    }
    const lease = this.lease;
    if (lease) {
      const outcome = await this.renew(lease);
      if (outcome) return outcome;
    }
    // The license read of this round may have failed while the LM was coming back: read it again before a checkout.
    const view = identity ? null : this.view(await this.client.license());
    if (view && !view.ok) return { kind: 'refused', code: view.code, message: view.detail };
    const current = identity ?? view?.identity ?? null;
    if (!current) return { kind: 'unreachable', detail: 'no usable answer to GET /v1/license' };
    if (this.closed) return { kind: 'unreachable', detail: 'closed' }; // no new seat for a closed connection
    return this.takeSeat(current);
  }

  /**
   * One heartbeat. The LM answers the lease's last token while it is younger than TTL/6 and signs a new one (later
   * issuedAt) after that. Only a new token moves the deadline, to when this heartbeat was sent plus the TTL; the
   * same token again keeps the seat held without moving it (so a proxy replaying it cannot extend the seat); an
   * older or unverified one is no answer. Answers null when the LM no longer knows the lease (check out again).
   *
   * Why a real LM keeps the seat: heartbeats go out at most TTL/2 apart (interval() caps them), so the first one
   * reaching the LM TTL/6 or more after it signed the last token gets a new token, and it was sent at most
   * TTL/6 + TTL/2 = 2/3 TTL after the heartbeat (or checkout) that brought the last one. That is before the
   * deadline it set (its send time + TTL), with TTL/3 to spare for the round's own time and the answer's way back.
   */
  private async renew(lease: Lease): Promise<SeatOutcome | null> {
    const { product, role, nodeId } = this.options;
    const sentAt = Date.now();
    const reply = await this.client.heartbeat({ leaseId: lease.id, instance: this.instance });
    if (reply.kind === 'ok') {
      const fields = { leaseId: lease.id, product, role, nodeId, instance: this.instance };
      const token = typeof reply.body.token === 'string' ? reply.body.token : '';
      const verified = verifyLeaseToken(token, { identity: lease.identity, fields, now: Date.now() });
      if (!verified.ok) return { kind: 'unreachable', detail: `its heartbeat answer did not verify: ${verified.detail}` };
      const { issuedAt, expiresAt } = verified.value;
      if (issuedAt < lease.issuedAt) return { kind: 'unreachable', detail: 'its heartbeat answer was an older lease token' };
      if (this.lease !== lease) return { kind: 'unreachable', detail: 'closed' }; // close() released it meanwhile
      if (issuedAt > lease.issuedAt) this.holdLease({ ...lease, expiresAt, token, issuedAt, deadline: sentAt + this.ttlMs });
      return { kind: 'held', status: reply.body.status, code: reply.body.code };
    }
    if (reply.kind === 'unreachable') return reply;
    if (!isSeatRefusal(reply)) {
      return { kind: 'unreachable', detail: `it answered the heartbeat with HTTP ${reply.httpStatus} ${reply.code}: ${reply.message}` };
    }
    this.dropLease(reply.code !== 'LEASE_NOT_FOUND'); // a lease the LM does not know needs no release
    return reply.code === 'LEASE_NOT_FOUND' ? null : reply;
  }

  private async takeSeat(identity: LmIdentity): Promise<SeatOutcome> {
    const { product, role, nodeId, host } = this.options;
    const sentAt = Date.now();
    const reply = await this.client.checkout({ product, role, nodeId, instance: this.instance, host });
    if (reply.kind === 'refused' && !isSeatRefusal(reply)) {
      return { kind: 'unreachable', detail: `it answered the checkout with HTTP ${reply.httpStatus} ${reply.code}: ${reply.message}` };
    }
    if (reply.kind !== 'ok') return reply;
    const fields = { leaseId: reply.body.leaseId, product, role, nodeId };
    const verified = verifyLeaseToken(reply.body.token, { identity, fields, now: Date.now() });
    if (!verified.ok) {
      void this.client.release(reply.body.leaseId); // not trusted, so not kept
      return { kind: 'refused', code: verified.code, message: verified.detail };
    }
    if (this.released) {
      // close() gave up waiting for this checkout and has finished: give the seat back at once.
      await this.client.release(reply.body.leaseId);
      return { kind: 'unreachable', detail: 'closed' };
    }
    const answered = reply.body.ttlSeconds * 1000;
    this.ttlMs = answered > 0 ? Math.min(answered, verified.value.ttlMs) : verified.value.ttlMs;
    const token = reply.body.token;
    const { issuedAt } = verified.value;
    this.holdLease({ id: reply.body.leaseId, expiresAt: reply.body.expiresAt, token, issuedAt, identity, deadline: sentAt + this.ttlMs });
    return { kind: 'held', status: reply.body.status, code: reply.body.code };
  }

  private holdLease(lease: Lease): void {
    this.lease = lease;
    this.hold(lease.deadline, () => {
      this.lease = null;
      this.update(this.unreachable('its lease ran out without a new verified renewal'));
    });
  }

  private dropLease(release = true): void {
    if (this.lease && release) void this.client.release(this.lease.id);
    this.lease = null;
    this.unhold();
  }

  /** Turns a round's outcome into the state; `retrying` adds that the SDK keeps trying. */
  private apply(outcome: SeatOutcome, view: LicenseView, retrying: boolean): void {
    const { product, role, nodeId, url } = this.options;
    const node = `${product} node "${nodeId}" (role ${role})`;
    if (outcome.kind === 'held') {
      const lease = this.lease!;
      this.update({
        ...this.facts,
        licensed: true,
        status: statusName(outcome.status),
        code: outcome.code,
        message: sentence(`${node} holds a seat at the License Manager at ${url}.`, this.lastDetail),
        seat: { leaseId: lease.id, expiresAt: lease.expiresAt, token: lease.token },
      });
      return;
    }
    if (outcome.kind === 'unreachable') {
      // A held seat rides out the outage until its lease runs out (the hold timer); only then does the state change.
      if (!this.lease) this.update(this.unreachable(outcome.detail, retrying));
      return;
    }
    const licenseStatus = view?.ok ? view.answer.status : null;
    const message = sentence(
      `${node} has no seat at the License Manager at ${url}: ${outcome.message}`,
      hintUnlessGiven(outcome.code, outcome.message),
      retrying ? 'It keeps trying and takes the seat as soon as it is granted.' : '',
    );
    this.update({
      ...this.facts,
      licensed: false,
      status: statusOfRefusal(outcome.code, licenseStatus),
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

/**
 * Checks the license and takes a seat for this node; rejects with a LicenseError (code and sentence) when the
 * node is not licensed, the LM cannot be reached, or its answers do not verify. Bad options: LicenseError
 * BAD_OPTIONS.
 *
 * @example
 * const license = await connect({ url: 'http://lm.internal:9119', product: 'graphdb', role: 'query', nodeId: 'query-1' });
 * license.on('change', (state) => log.info(state.message));
 * process.on('SIGTERM', () => void license.close());
 */
export async function connect(options: ConnectOptions): Promise<Connection> {
  const checked = checkConnectOptions(options);
  const connection = new ConnectionImpl(checked, new LmClient(checked.url, checked.timeoutMs));
  await connection.open();
  return connection;
}
