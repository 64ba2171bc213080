/**
 * connect(): a node's seat at its License Manager. It checks the license and takes a seat at start (or rejects
 * with a LicenseError saying why), then heartbeats in the background. Every round reads the license with a fresh
 * nonce, verifies it up to the product's root and evaluates it on the SDK's own clock (license-answer.ts): a
 * license the SDK does not find usable holds no seat, whatever the LM says. The seat belongs to this connection
 * (a random instance id), so another process with the same node id cannot share it; seat calls and what their
 * answers mean: seat-calls.ts.
 *
 * Silence is not refusal (DESIGN decision 10, outage.ts). The seat lasts its lease (the TTL from when its last
 * renewal was sent, on the monotonic clock) while the LM is silent: no answer, a timeout, a 5xx, 408 or 429, an
 * answer that is not the LM's (a gateway's, or one that does not verify). After that it lasts the license's signed
 * outage grace, counted from the same moment, as Degraded (0, strict: not at all). Only a verified "no" ends it
 * sooner: the seat's LM showing a license the SDK finds unusable, refusing the seat (after a verified read in the
 * same round), or forgetting the lease (LEASE_NOT_FOUND) and then refusing the checkout. A refused node keeps
 * trying, so a renewed or expanded license gives it its seat back; a node that starts while no LM answers is refused.
 *
 * Several addresses are replicas of one LM (one database, one identity): a round that finds the address in use
 * silent goes on to the next within the same round, keeping the lease. An address answering as another LM is not
 * a replica: it is skipped while the node holds a seat, unless it is the very address the seat was renewed at (the
 * LM there was replaced or lost its data): then, as with a single address, the seat is the new LM's to give.
 */
import { randomUUID } from 'node:crypto';
import { LmAddresses } from './addresses.js';
import type { LmClient } from './lm-client.js';
import { askLicense, reevaluate } from './license-answer.js';
import type { ChainReading, LicenseView, VerifiedLicense } from './license-answer.js';
import { LiveLicense } from './live-license.js';
import { checkConnectOptions } from './options.js';
import type { CheckedConnectOptions } from './options.js';
import { graceMsOf, hours } from './outage.js';
import { checkoutAt, heartbeatAt } from './seat-calls.js';
import type { CallOutcome, Grant, SeatCaller } from './seat-calls.js';
import { degradedSeatState, heldState, nodeLabel, refusedSeatState, unreachableSeatState } from './seat-state.js';
import { LicenseError } from './types.js';
import type { Connection, ConnectOptions, LicenseState, LicenseStatusName } from './types.js';
import { sameIdentity } from './verify.js';
import type { LmIdentity } from './verify.js';
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
  /** The address it was last renewed (or taken) at. */
  url: string;
  /** When (elapsed()) the request that brought the latest token was sent: the outage grace counts from there. */
  heardAt: number;
  /** The same moment on the wall clock, for the state. */
  heardAtWall: number;
  /** heardAt + TTL: until then the lease is surely still held at the LM. */
  deadline: number;
  /** False once the LM said it no longer knows the lease: the node rides its grace on it and checks out again. */
  atLm: boolean;
}

type SeatOutcome =
  | { kind: 'held'; verified: VerifiedLicense }
  /**
   * `final`: the round stops here (the seat's LM said no); else another address may still grant a seat.
   * `licenseStatus`: the verified license's status when the refusal is not about the license itself.
   */
  | {
      kind: 'refused';
      code: string;
      message: string;
      licenseStatus: LicenseStatusName | null;
      final: boolean;
      verified: VerifiedLicense | null;
    }
  | { kind: 'silent'; detail: string }
  /** The round's answer no longer applies: the seat ended (its grace ran out) while the round was on its way. */
  | { kind: 'moot' };

const silent = (detail: string): SeatOutcome => ({ kind: 'silent', detail });

interface Sent {
  /** elapsed() */
  at: number;
  /** the wall clock */
  atWall: number;
}

/** The lease fields a verified token brings, heard at `sent`. */
function leaseOf(grant: Grant, sent: Sent): Pick<Lease, 'id' | 'expiresAt' | 'token' | 'issuedAt' | 'heardAt' | 'heardAtWall'> {
  const { leaseId: id, expiresAt, token, issuedAt } = grant;
  return { id, expiresAt, token, issuedAt, heardAt: sent.at, heardAtWall: sent.atWall };
}

class ConnectionImpl extends LiveLicense {
  private lease: Lease | null = null;
  private reading: ChainReading | null = null;
  /** The license the state shows: the last one verified at the LM holding the seat (or refusing it). */
  private verified: VerifiedLicense | null = null;
  /** True while the seat outlives its lease on the outage grace (Degraded). */
  private degraded = false;
  /** Why the last round had no answer, for the sentence of the state the lease's end leads to. */
  private lastSilence = 'no answer';
  private ttlMs = 0;
  private readonly caller: SeatCaller;
  /** `graphdb node "q1" (role query)`, for sentences. */
  private readonly node: string;
  /** Set once close() has released (or found no) seat: a checkout answered later is released at once. */
  private released = false;

  constructor(
    private readonly options: CheckedConnectOptions,
    private readonly addresses: LmAddresses,
  ) {
    super(unreachableState(addresses.describe(), 'not asked yet', null), options.timeoutMs, options.timers);
    const { product, role, nodeId, host, clock } = options;
    // This connection's id at the LM: the seat belongs to it, not to whoever uses the same node id.
    this.caller = { product, role, nodeId, host, clock, instance: randomUUID() };
    this.node = nodeLabel(options);
  }

  /** The first round: any outcome but a seat rejects connect(). */
  async open(): Promise<void> {
    const outcome = await this.seek();
    this.apply(outcome, false);
    if (outcome.kind !== 'held') throw new LicenseError(this.state.code, this.state.message, this.status());
    this.startRounds();
  }

  protected interval(): number {
    const heartbeat = Math.min(this.options.heartbeatMs ?? this.ttlMs / 3, this.ttlMs / 2);
    return Math.max(10, Math.round(Math.min(heartbeat, this.options.pollMsGiven ?? Infinity)));
  }

  protected async round(): Promise<void> {
    const outcome = await this.seek();
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
      outage: null,
      message: `This connection was closed; the seat of node "${this.options.nodeId}" was released.`,
    };
    // An LM that is down frees it when the lease runs out.
    if (lease?.atLm) await this.addresses.at(lease.url).release({ leaseId: lease.id, instance: this.caller.instance });
    this.addresses.close();
  }

  /**
   * One round over the addresses, the one in use first: the first that answers decides, a silent one hands the
   * round to the next. Without a seat, a refusal that another address might not give (its license unusable, a
   * failed check) is kept until every address was asked.
   */
  private async seek(): Promise<SeatOutcome> {
    let fallback: SeatOutcome | null = null;
    const silences: string[] = [];
    for (const client of this.addresses.inOrder()) {
      const outcome = this.lease ? await this.keepSeat(client, this.lease) : await this.takeSeat(client);
      if (this.closed) return silent('closed');
      if (outcome.kind === 'moot') return outcome;
      if (outcome.kind === 'silent') silences.push(this.addresses.many ? `${client.url}: ${outcome.detail}` : outcome.detail);
      else if (outcome.kind === 'refused' && !outcome.final) fallback ??= outcome;
      else {
        this.addresses.use(client);
        return outcome;
      }
    }
    return fallback ?? silent(silences.join('; '));
  }

  /** A round at one address for a node without a seat: a verified, usable license, then a checkout. */
  private async takeSeat(client: LmClient): Promise<SeatOutcome> {
    const view = await this.readLicense(client);
    if (view.kind === 'none') {
      // Without a seat to ride out on, the LM's refusal for want of the seat secret is the node's answer.
      if (view.code === 'UNAUTHORIZED') return refusal('UNAUTHORIZED', view.detail, null, false);
      return silent(view.detail);
    }
    if (view.kind === 'failed') return refusal(view.code, view.detail, null, false);
    if (!view.verified.evaluation.valid) return { ...noSeat(view.verified), final: false };
    return this.checkout(client, view.verified);
  }

  /** A round at one address for a node holding a seat (on its lease, or on its outage grace). */
  private async keepSeat(client: LmClient, lease: Lease): Promise<SeatOutcome> {
    const view = await this.readLicense(client);
    if (this.closed) return silent('closed');
    const answered = view.kind === 'verified' ? view.verified : null;
    if (answered && !sameIdentity(answered.identity, lease.identity)) {
      if (client.url !== lease.url) {
        return silent(
          `it answers as License Manager ${answered.identity.lmid}, not as ${lease.identity.lmid} that holds the seat: not a replica of it`,
        );
      }
      // Another LM answers where the seat was (the LM was replaced, or lost its data): the lease was the old one's.
      this.forgetLease(lease);
      return this.checkoutUnlessRefused(client, answered);
    }
    // Without a verified read this round, the last verified license is evaluated again on the SDK's clock.
    const standing = answered ?? this.standingLicense(lease);
    if (!standing) return silent(view.kind === 'verified' ? 'no verified license' : view.detail);
    if (!standing.evaluation.valid) return { ...noSeat(standing), final: true };
    this.verified = standing;
    if (lease.atLm && standing.license) {
      const sent = this.now();
      const renewal = await heartbeatAt(client, this.caller, lease, standing.license);
      // Recorded even when close() waits for this round: it releases the seat where it was renewed (once closed,
      // no timer is armed again). A seat that ended meanwhile (its grace ran out, or close() gave up) is moot.
      if (this.lease !== lease) return { kind: 'moot' };
      if (renewal.kind !== 'refused' || renewal.code !== 'LEASE_NOT_FOUND') return this.renewed(client, lease, renewal, answered, sent);
      this.forgetLease(lease);
    }
    // The LM does not know the lease (any more): a checkout, after a verified read of that very LM.
    const current = answered ? view : await this.readLicense(client);
    if (current.kind !== 'verified') return silent(current.detail);
    if (this.lease && !sameIdentity(current.verified.identity, lease.identity)) return silent('another License Manager answered');
    return this.checkoutUnlessRefused(client, current.verified); // strict: the seat ended with the lease
  }

  /** The last verified license of the seat's LM, evaluated again on the SDK's clock now. */
  private standingLicense(lease: Lease): VerifiedLicense | null {
    const verified = this.verified;
    return verified && sameIdentity(verified.identity, lease.identity) ? reevaluate(verified, this.options) : null;
  }

  private checkoutUnlessRefused(client: LmClient, verified: VerifiedLicense): Promise<SeatOutcome> | SeatOutcome {
    return verified.evaluation.valid ? this.checkout(client, verified) : { ...noSeat(verified), final: true };
  }

  /**
   * What a heartbeat's outcome means for the seat. A refusal counts only after a verified read at that address in
   * the same round (`answered`): an unsigned 4xx from anything else is silence.
   */
  private renewed(client: LmClient, lease: Lease, renewal: CallOutcome, answered: VerifiedLicense | null, sent: Sent): SeatOutcome {
    const shown = this.verified!;
    switch (renewal.kind) {
      case 'granted':
        this.holdLease({ ...lease, ...leaseOf(renewal.grant, sent), url: client.url });
        return { kind: 'held', verified: shown };
      case 'same':
        // The same token keeps a seat within its lease; on the grace it would be a replay, not the LM renewing.
        if (this.degraded) return silent('its heartbeat answer was the last lease token again, not a renewal');
        lease.url = client.url; // the replica that answered: close() releases the seat there
        return { kind: 'held', verified: shown };
      case 'refused':
        if (!answered) return silent(`it answered the heartbeat ${renewal.code} without a verified license in the same round`);
        return refusal(renewal.code, renewal.message, answered.status, true, answered);
      default:
        return silent(renewal.detail);
    }
  }

  /** A checkout at this address under `verified`: held, refused (final), or silent. */
  private async checkout(client: LmClient, verified: VerifiedLicense): Promise<SeatOutcome> {
    if (this.closed || !verified.license) return silent('closed'); // no new seat for a closed connection
    const sent = this.now();
    const outcome = await checkoutAt(client, this.caller, verified.identity, verified.license);
    if (outcome.kind === 'refused') return refusal(outcome.code, outcome.message, verified.status, true, verified);
    if (outcome.kind === 'untrusted') {
      // An untrusted seat is no seat; a node riding its grace treats it as silence, one without a seat as a refusal.
      return this.lease ? silent(outcome.detail) : refusal(outcome.code, outcome.detail, null, false);
    }
    if (outcome.kind !== 'granted') return silent(outcome.kind === 'silent' ? outcome.detail : 'no new token');
    const { grant } = outcome;
    if (this.released) {
      // close() gave up waiting for this checkout and has finished: give the seat back at once.
      await client.release({ leaseId: grant.leaseId, instance: this.caller.instance });
      return silent('closed');
    }
    this.ttlMs = grant.ttlMs;
    this.holdLease({ ...leaseOf(grant, sent), identity: verified.identity, url: client.url });
    return { kind: 'held', verified };
  }

  /** When a request is sent, on both clocks: a lease (and its grace) counts from the request that renewed it. */
  private now(): Sent {
    return { at: this.elapsed(), atWall: this.options.clock.now() };
  }

  /** Holds a lease renewed (or taken) now: the LM knows it, and its deadline is the TTL from when it was asked for. */
  private holdLease(lease: Omit<Lease, 'deadline' | 'atLm'>): void {
    this.lease = { ...lease, deadline: lease.heardAt + this.ttlMs, atLm: true };
    this.degraded = false;
    this.armSeatEnd();
  }

  /** The LM no longer knows the lease: strict, the seat ends with it; with a grace, the node rides it. */
  private forgetLease(lease: Lease): void {
    if (lease.heardAt + this.graceMs() <= this.elapsed()) {
      this.lease = null;
      this.unhold();
      return;
    }
    lease.atLm = false;
  }

  /** Arms the seat's next deadline: the lease's end while it runs, then the end of the outage grace. */
  private armSeatEnd(): void {
    const lease = this.lease;
    if (!lease) return this.unhold();
    if (!this.degraded) this.hold(lease.deadline, () => this.leaseRanOut());
    else this.hold(lease.heardAt + this.graceMs(), () => this.lapse(`the license's outage grace of ${hours(this.graceMs())} ran out`));
  }

  private leaseRanOut(): void {
    const lease = this.lease;
    if (!lease) return;
    const detail = `its lease ran out without a new verified renewal; ${this.lastSilence}`;
    if (lease.heardAt + this.graceMs() <= this.elapsed()) this.lapse(detail);
    else this.enterDegraded(detail);
  }

  private enterDegraded(detail: string): void {
    this.degraded = true;
    this.armSeatEnd();
    this.update(this.degradedState(detail));
  }

  /** The seat ends for want of an answer: the lease ran out, and the grace (if any) with it. */
  private lapse(detail: string): void {
    this.lease = null;
    this.degraded = false;
    this.unhold();
    this.update(this.unreachable(detail));
  }

  private graceMs(): number {
    return graceMsOf(this.verified?.facts ?? null);
  }

  private dropLease(): void {
    const lease = this.lease;
    if (lease?.atLm) void this.addresses.at(lease.url).release({ leaseId: lease.id, instance: this.caller.instance });
    this.lease = null;
    this.degraded = false;
    this.unhold();
  }

  /** GET /v1/license at one address with a fresh nonce, verified and evaluated (license-answer.ts). */
  private async readLicense(client: LmClient): Promise<LicenseView> {
    const { view, reading } = await askLicense(client, this.options, this.reading);
    this.reading = reading;
    return view;
  }

  /** Turns a round's outcome into the state; `retrying` adds that the SDK keeps trying. */
  private apply(outcome: SeatOutcome, retrying: boolean): void {
    if (outcome.kind === 'moot') return;
    if (outcome.kind !== 'silent' && outcome.verified) this.verified = outcome.verified;
    const lease = this.lease;
    if (outcome.kind === 'held') {
      if (lease) this.update(heldState(this.node, outcome.verified, lease)); // else closed meanwhile
      return;
    }
    if (outcome.kind === 'refused') {
      this.dropLease();
      this.update(refusedSeatState(this.node, this.verified, outcome, this.addresses.describe(), retrying));
      return;
    }
    this.lastSilence = outcome.detail;
    if (!lease) {
      this.update(this.unreachable(outcome.detail, retrying));
    } else if (this.degraded) {
      this.armSeatEnd(); // the license read this round may carry another grace
      this.update(this.degradedState(outcome.detail));
    } else if (!lease.atLm) {
      this.enterDegraded(outcome.detail);
    }
    // Else a seat on its lease rides the silence out unseen: the hold timer ends the lease.
  }

  private degradedState(detail: string): LicenseState {
    return degradedSeatState(this.node, this.state, this.verified, this.lease!, this.graceMs(), detail);
  }

  private unreachable(detail: string, retrying = true): LicenseState {
    return unreachableSeatState(this.node, this.addresses.describe(), detail, this.state, retrying);
  }
}

function refusal(
  code: string,
  message: string,
  licenseStatus: LicenseStatusName | null,
  final: boolean,
  verified: VerifiedLicense | null = null,
): SeatOutcome {
  return { kind: 'refused', code, message, licenseStatus, final, verified };
}

/** The refusal a verified license the SDK finds unusable means (final: set by the caller). */
function noSeat(verified: VerifiedLicense): Extract<SeatOutcome, { kind: 'refused' }> {
  const { evaluation, status } = verified;
  return { kind: 'refused', code: evaluation.code, message: evaluation.detail, licenseStatus: status, final: false, verified };
}

/**
 * Checks the license and takes a seat for this node; rejects with a LicenseError (code and sentence) when the
 * node is not licensed, no address of the LM answers (LM_UNREACHABLE), or its answers do not verify. Bad options:
 * LicenseError BAD_OPTIONS. Once it holds a seat, the node keeps it through an LM outage for the license's
 * outage grace (status Degraded), and `change` tells every move.
 *
 * @example
 * const license = await connect({ url: ['http://lm-0.lm:9119', 'http://lm-1.lm:9119'], product: 'graphdb', role: 'query', nodeId: 'query-1', root: VENDOR_ROOT });
 * license.on('change', (state) => log.info(state.message));
 * process.on('SIGTERM', () => void license.close());
 */
export async function connect(options: ConnectOptions): Promise<Connection> {
  const checked = checkConnectOptions(options);
  const connection = new ConnectionImpl(checked, new LmAddresses(checked));
  await connection.open();
  return connection;
}
