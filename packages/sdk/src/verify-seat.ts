/**
 * verifySeat(): for a controller that is handed a node's seat token (LicenseState.seat.token) and wants to know,
 * without trusting the node, that the node holds a seat at the License Manager. It reads the LM's license with a
 * fresh nonce and verifies it as connect() does (the LM's signed answer, the trust bundle up to the product's
 * root, the license, the SDK's own evaluation on its clock), then checks the token: signed by that LM's key, for
 * this product, under the license verified (id and serial), and not expired.
 */
import { LmAddresses } from './addresses.js';
import { newNonce } from './lm-client.js';
import type { LicenseAnswer } from './lm-client.js';
import { readLicenseAnswer } from './license-answer.js';
import { checkWatchOptions } from './options.js';
import { LicenseError } from './types.js';
import type { SdkClock } from './types.js';
import { verifyLeaseToken } from './verify.js';

export interface VerifySeatOptions {
  /** The License Manager's address, or its replicas' (tried in order until one answers), as for connect(). */
  url: string | readonly string[];
  /** The product the seat must be for. */
  product: string;
  /** The lease token the node holds (its LicenseState.seat.token). */
  token: string;
  /** The vendor's root public key(s) compiled into the product, as for connect(). */
  root: string | readonly string[];
  /** The License Manager's seat secret, when it has one. */
  secret?: string;
  /** PEM text of the certificate authority to trust for an https License Manager. */
  ca?: string;
  /** Per request, default 5000. */
  timeoutMs?: number;
  /** The wall clock to evaluate the license and the token's expiry on (default this host's). */
  clock?: SdkClock;
}

export type SeatVerdict =
  | { ok: true; leaseId: string; role: string; nodeId: string; expiresAt: string; lmid: string; licenseId: string; serial: number }
  | { ok: false; code: string; message: string };

/**
 * Verifies a node's seat token against the License Manager at `url`. Never throws: bad options answer
 * BAD_OPTIONS, an LM that cannot be reached LM_UNREACHABLE, a token that does not verify (or names another license
 * or serial than the one the LM holds now) LEASE_TOKEN_INVALID, and a license that does not verify or that the SDK
 * finds unusable its own code (UNTRUSTED_ROOT, STALE_ANSWER, EXPIRED, ...). A token is accepted until its expiresAt
 * (give or take 10 minutes of clock difference between the hosts); a controller wanting a live node checks
 * expiresAt against a fresher token from that node.
 *
 * @example
 * const seat = await verifySeat({ url: 'http://lm.internal:9119', product: 'guard', token: fromEnforcer, root: VENDOR_ROOT });
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
  const { product, roots, clock } = checked;
  const addresses = new LmAddresses(checked);
  const asked = await askFirstAnswering(addresses);
  addresses.close();
  if (asked.kind !== 'ok') {
    return {
      ok: false,
      code: asked.code,
      message: `The License Manager at ${addresses.describe()} cannot be asked (${asked.why}), so the seat token cannot be checked.`,
    };
  }
  const { reply, nonce, url } = asked;
  const answer = readLicenseAnswer(reply, { url, product, roots, clock, nonce }, null).outcome;
  if (!answer.ok) return { ok: false, code: answer.code, message: answer.detail };
  const { identity, license, evaluation } = answer.value;
  if (!license || !evaluation.valid) {
    return { ok: false, code: evaluation.code, message: `No seat at the License Manager at ${url} is licensed: ${evaluation.detail}` };
  }
  const token = verifyLeaseToken(options.token, { identity, fields: { product }, license, now: clock.now() });
  if (!token.ok) return { ok: false, code: token.code, message: `The seat token does not verify: ${token.detail}` };
  const { leaseId, role, nodeId, expiresAt, lmid, licenseId, serial } = token.value;
  return { ok: true, leaseId, role, nodeId, expiresAt, lmid, licenseId, serial };
}

type Asked =
  { kind: 'ok'; reply: LicenseAnswer; nonce: string; url: string } | { kind: 'none'; code: 'LM_UNREACHABLE' | 'UNAUTHORIZED'; why: string };

/** GET /v1/license at each address in turn until one answers with the LM's API. */
async function askFirstAnswering(addresses: LmAddresses): Promise<Asked> {
  const whys: string[] = [];
  let code: 'LM_UNREACHABLE' | 'UNAUTHORIZED' = 'LM_UNREACHABLE';
  for (const client of addresses.inOrder()) {
    const nonce = newNonce();
    const reply = await client.license(nonce);
    if (reply.kind === 'ok') return { kind: 'ok', reply: reply.body, nonce, url: client.url };
    if (reply.kind === 'refused' && reply.code === 'UNAUTHORIZED') code = 'UNAUTHORIZED';
    const why = reply.kind === 'unreachable' ? reply.detail : `it refused: ${reply.message}`;
    whys.push(addresses.many ? `${client.url}: ${why}` : why);
  }
  return { kind: 'none', code, why: whys.join('; ') };
}
