/**
 * A node's two seat calls at one License Manager address, as connect() uses them, with what their answers mean.
 * A checkout or renewal counts only with a lease token the LM signed for this lease and connection (instance),
 * under the license verified (id and serial); a renewal moves the seat's deadline only with a token newer (a later
 * issuedAt) than the last one accepted, so nothing between node and LM can keep a seat alive that the LM let go.
 * An answer that does not verify, a 5xx, 408 or 429, or a 4xx that is not one of the LM's seat or license codes
 * (a gateway's) is silence, never a refusal.
 */
import type { Clock } from '@tessera/core';
import type { LmClient } from './lm-client.js';
import { verifyLeaseToken } from './verify.js';
import type { LicenseRef, LmIdentity } from './verify.js';

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

/** Who asks: the seat's fields every token must carry. */
export interface SeatCaller {
  product: string;
  role: string;
  nodeId: string;
  host: string;
  instance: string;
  clock: Clock;
}

/** A lease token that verified: what the seat holds from now on. */
export interface Grant {
  leaseId: string;
  expiresAt: string;
  token: string;
  issuedAt: number;
  /** The lease's lifetime: the shorter of the answered ttlSeconds and the token's own (checkout only). */
  ttlMs: number;
}

export type CallOutcome =
  | { kind: 'granted'; grant: Grant }
  /** A renewal answered with the last token again: the seat is held, not extended. */
  | { kind: 'same' }
  | { kind: 'refused'; code: string; message: string }
  /** A token that did not verify (LEASE_TOKEN_INVALID): the LM's answer cannot be trusted. */
  | { kind: 'untrusted'; code: string; detail: string }
  | { kind: 'silent'; detail: string };

/** POST /v1/seats/checkout: a new lease (or the same one renewed, for this connection) under `license`. */
export async function checkoutAt(client: LmClient, caller: SeatCaller, identity: LmIdentity, license: LicenseRef): Promise<CallOutcome> {
  const { product, role, nodeId, instance, host } = caller;
  const reply = await client.checkout({ product, role, nodeId, instance, host });
  if (reply.kind === 'unreachable') return { kind: 'silent', detail: reply.detail };
  if (reply.kind === 'refused') {
    if (isSeatRefusal(reply)) return { kind: 'refused', code: reply.code, message: reply.message };
    return { kind: 'silent', detail: `it answered the checkout with HTTP ${reply.httpStatus} ${reply.code}: ${reply.message}` };
  }
  const fields = { leaseId: reply.body.leaseId, product, role, nodeId, instance };
  const checked = verifyLeaseToken(reply.body.token, { identity, fields, license, now: caller.clock.now() });
  if (!checked.ok) {
    void client.release({ leaseId: reply.body.leaseId, instance }); // not trusted, so not kept
    return { kind: 'untrusted', code: checked.code, detail: checked.detail };
  }
  const answered = reply.body.ttlSeconds * 1000;
  const ttlMs = answered > 0 ? Math.min(answered, checked.value.ttlMs) : checked.value.ttlMs;
  // expiresAt from the signed token, never the answer's field beside it, which anything on the way can rewrite.
  const { leaseId, token } = reply.body;
  return { kind: 'granted', grant: { leaseId, expiresAt: checked.value.expiresAt, token, issuedAt: checked.value.issuedAt, ttlMs } };
}

/**
 * POST /v1/seats/heartbeat for a lease whose last accepted token was issued at `lastIssuedAt`. The LM answers the
 * lease's last token while it is younger than TTL/6 and signs a new one (later issuedAt) after that: only a new
 * one is a renewal; the same one again is `same`; an older, forged or unsigned one, or one signed under another
 * license or serial, is silence. LEASE_NOT_FOUND comes back as a refusal: the caller checks out again.
 *
 * Why a real LM keeps the seat: heartbeats go out at most TTL/2 apart (connect's interval() caps them), so the
 * first one reaching the LM TTL/6 or more after it signed the last token gets a new token, and it was sent at most
 * TTL/6 + TTL/2 = 2/3 TTL after the heartbeat (or checkout) that brought the last one. That is before the deadline
 * it set (its send time + TTL), with TTL/3 to spare for the round's own time and the answer's way back.
 */
export async function heartbeatAt(
  client: LmClient,
  caller: SeatCaller,
  lease: { id: string; identity: LmIdentity; issuedAt: number },
  license: LicenseRef,
): Promise<CallOutcome> {
  const { product, role, nodeId, instance } = caller;
  const reply = await client.heartbeat({ leaseId: lease.id, instance });
  if (reply.kind === 'unreachable') return { kind: 'silent', detail: reply.detail };
  if (reply.kind === 'refused') {
    if (isSeatRefusal(reply)) return { kind: 'refused', code: reply.code, message: reply.message };
    return { kind: 'silent', detail: `it answered the heartbeat with HTTP ${reply.httpStatus} ${reply.code}: ${reply.message}` };
  }
  const fields = { leaseId: lease.id, product, role, nodeId, instance };
  const token = typeof reply.body.token === 'string' ? reply.body.token : '';
  const verified = verifyLeaseToken(token, { identity: lease.identity, fields, license, now: caller.clock.now() });
  if (!verified.ok) return { kind: 'silent', detail: `its heartbeat answer did not verify: ${verified.detail}` };
  const { issuedAt, expiresAt } = verified.value;
  if (issuedAt < lease.issuedAt) return { kind: 'silent', detail: 'its heartbeat answer was an older lease token' };
  if (issuedAt === lease.issuedAt) return { kind: 'same' };
  return { kind: 'granted', grant: { leaseId: lease.id, expiresAt, token, issuedAt, ttlMs: verified.value.ttlMs } };
}
