/**
 * verifySeat(): for a controller that is handed a node's seat token (LicenseState.seat.token) and wants to know,
 * without trusting the node, that the node holds a seat at the License Manager. It asks the LM for its identity
 * (GET /v1/license) and checks the token as the SDK checks its own: signed by that LM's key, the LMID derived
 * from that key, for this product, and not expired; with the vendor's trust bundle also the license chain.
 */
import { LmClient } from './lm-client.js';
import { checkWatchOptions } from './options.js';
import { LicenseError } from './types.js';
import { checkIdentity, readLicenseFacts, verifyLeaseToken } from './verify.js';

export interface VerifySeatOptions {
  /** The License Manager's address, as for connect(). */
  url: string;
  /** The product the seat must be for. */
  product: string;
  /** The lease token the node holds (its LicenseState.seat.token). */
  token: string;
  /** The vendor's trust bundle text: when given, the license at the LM must verify and be bound to it. */
  trust?: string;
  /** Per request, default 5000. */
  timeoutMs?: number;
}

export type SeatVerdict =
  | { ok: true; leaseId: string; role: string; nodeId: string; expiresAt: string; lmid: string }
  | { ok: false; code: string; message: string };

/**
 * Verifies a node's seat token against the License Manager at `url`. Never throws: bad options answer
 * BAD_OPTIONS, an LM that cannot be reached LM_UNREACHABLE, a token that does not verify LEASE_TOKEN_INVALID,
 * and a license that does not verify its own code. A token is accepted until its expiresAt (give or take 10
 * minutes of clock difference between the hosts); a controller wanting a live node checks expiresAt against a
 * fresher token from that node.
 *
 * @example
 * const seat = await verifySeat({ url: 'http://lm.internal:9119', product: 'guard', token: fromEnforcer });
 * if (!seat.ok) refuse(seat.code, seat.message);
 */
export async function verifySeat(options: VerifySeatOptions): Promise<SeatVerdict> {
  let checked;
  try {
    checked = checkWatchOptions(options);
  } catch (error) {
    const e = error as LicenseError;
    return { ok: false, code: e instanceof LicenseError ? e.code : 'BAD_OPTIONS', message: e.message };
  }
  if (typeof options.token !== 'string' || options.token.length === 0 || options.token.length > 16_384) {
    return {
      ok: false,
      code: 'BAD_OPTIONS',
      message: 'Tessera SDK: "token" must be the seat token a node holds (LicenseState.seat.token).',
    };
  }
  const client = new LmClient(checked.url, checked.timeoutMs);
  const reply = await client.license();
  if (reply.kind !== 'ok') {
    const why = reply.kind === 'unreachable' ? reply.detail : `it refused: ${reply.message}`;
    return {
      ok: false,
      code: 'LM_UNREACHABLE',
      message: `The License Manager at ${checked.url} cannot be asked (${why}), so the seat token cannot be checked.`,
    };
  }
  const identity = checkIdentity(reply.body);
  if (!identity.ok) return { ok: false, code: identity.code, message: identity.detail };
  const { lmid } = identity.value;
  if (checked.trust) {
    if (reply.body.license === null) {
      return {
        ok: false,
        code: 'NO_LICENSE',
        message: `The License Manager at ${checked.url} holds no license, so no seat there is licensed.`,
      };
    }
    const facts = readLicenseFacts(reply.body.license, checked.trust, lmid, checked.product);
    if (!facts.ok) return { ok: false, code: facts.code, message: facts.detail };
  }
  const token = verifyLeaseToken(options.token, { identity: identity.value, fields: { product: checked.product }, now: Date.now() });
  if (!token.ok) return { ok: false, code: token.code, message: `The seat token does not verify: ${token.detail}` };
  const { leaseId, role, nodeId, expiresAt } = token.value;
  return { ok: true, leaseId, role, nodeId, expiresAt, lmid };
}
