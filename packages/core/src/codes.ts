/**
 * The closed list of outcome codes, each with the one HTTP status it is answered with and its description. Codes
 * are part of the public contract: they appear in the API, the CLI's --json output and the docs (docs/codes.md,
 * checked against this table). Never rename one; a code that would need two statuses is two codes.
 *
 * The status is what an HTTP service answers a refusal with (packages/http maps a Failure through it); codes that
 * are verdicts of a usable license (VALID, EXPIRING, IN_GRACE) are 200, and codes a client sets for itself (the
 * SDK's) carry the status of the answer that led to them.
 */
const TABLE = {
  VALID: [200, 'The license is valid and not close to its expiry.'],
  EXPIRING: [200, 'The license is valid but expires within its warn days.'],
  IN_GRACE: [200, 'The license has expired but is inside its grace days; seats are still granted.'],
  EXPIRED: [403, 'The license expired and its grace days are over; no seats are granted.'],
  NOT_YET_VALID: [403, 'The license starts in the future.'],
  NO_LICENSE: [403, 'No license is loaded.'],
  SIGNATURE_INVALID: [400, 'The signature does not match the document: it was altered or damaged.'],
  MALFORMED: [400, 'The text is not a well-formed Tessera document, key or code (cut short, wrong characters, bad fields).'],
  UNSUPPORTED_VERSION: [400, 'The document uses a format version this software does not understand.'],
  CHECKSUM_MISMATCH: [400, 'The check character of an online key or LMID does not match: a character was mistyped.'],
  UNKNOWN_KEY: [403, 'The document was signed by a vendor key that is not in the trust bundle.'],
  KEY_REVOKED: [403, 'The document was signed by a vendor key that has been revoked.'],
  LMID_MISMATCH: [409, 'The license is bound to another License Manager (LMID).'],
  PRODUCT_MISMATCH: [409, 'The license is for another product.'],
  CLOCK_TAMPERED: [403, 'The system clock is behind a time already seen; it was set back.'],
  SUPERSEDED: [403, 'A newer copy of this license (a higher serial) is already known.'],
  WRONG_KIND: [400, 'The text is another kind of Tessera document (for example a request code where a license key belongs).'],
  TOO_MANY_NODES: [409, 'Every seat of this role is taken.'],
  ROLE_NOT_LICENSED: [403, 'The license grants no seats for this node role.'],
  LEASE_NOT_FOUND: [404, 'The seat lease is unknown or has run out; check out a seat again.'],
  NOT_ONLINE: [409, 'The License Manager holds no online key, so there is nothing to sync.'],
  CENTER_UNREACHABLE: [502, 'The License Center could not be reached or gave no usable answer.'],
  SYNC_REFUSED: [409, 'The License Center refused the sync request (for example an unknown or unbound online key).'],
  BAD_REQUEST: [400, 'The request is missing a field or has a field of the wrong form.'],
  UNAUTHORIZED: [
    401,
    'The call needs a credential (the admin token, or the License Manager seat secret), and none or a wrong one was given.',
  ],
  NOT_FOUND: [404, 'No such resource.'],
  RATE_LIMITED: [429, 'Too many requests; wait and try again.'],
  INTERNAL: [500, 'An unexpected error; it was logged with the request id.'],
  LM_UNREACHABLE: [
    502,
    "The License Manager could not be reached or gave no usable answer (SDK); a held seat lasts until its lease runs out, then for the license's outage grace (status Degraded, still licensed).",
  ],
  LEASE_TOKEN_INVALID: [
    502,
    "The License Manager's seat lease token or identity did not verify (SDK): wrong signature, another LM, or fields that do not match.",
  ],
  BAD_OPTIONS: [
    400,
    'The SDK was called with a missing or malformed option (url, product, role, nodeId, root, secret, ca, timings), or with the removed trust option.',
  ],
  PACKAGE_EXISTS: [409, 'An installation package of this product, version and platform is already uploaded; withdraw it first.'],
  LICENSE_NOT_ACTIVE: [403, 'The license is suspended, ended or expired past its grace, so its packages cannot be downloaded.'],
  LINK_EXPIRED: [410, 'The download link has expired; make a new one from the license page.'],
  LINK_INVALID: [403, 'The download link was altered or cut short; copy it again, or make a new one from the license page.'],
  NODE_ID_IN_USE: [409, 'Another running process already holds the seat of this node id; stop it or give this node another id.'],
  UNTRUSTED_ROOT: [
    403,
    "The trust bundle (and so every license it vouches for) is not signed by a root key the product was built with: it is not the vendor's.",
  ],
  MODE_MISMATCH: [403, 'The license was issued for online mode; load its online key, not the license document as an offline key.'],
  STALE_ANSWER: [502, "The License Manager's signed answer is not for this request (an old nonce): a recorded answer was served again."],
  RESET_NOT_APPLICABLE: [
    409,
    "The clock reset is for another License Manager's clock, or the clock's high-water mark has moved since it was asked for.",
  ],
  IDENTITY_UNPROVEN: [
    401,
    "A License Manager's sync request does not prove who sent it: its LMID does not derive from the key and host inside it, or its signature does not verify with that key.",
  ],
  CSRF_TOKEN_INVALID: [
    403,
    "A write made with a session cookie did not send the session's CSRF token in the x-csrf-token header (it comes with login and GET /v1/auth/me).",
  ],
  PAYLOAD_TOO_LARGE: [413, 'The request body is larger than the service accepts (for an installation package, TESSERA_PACKAGE_MAX_BYTES).'],
  UNSUPPORTED_MEDIA_TYPE: [
    415,
    'The request body has a content type this route does not take (an installation package is sent as application/octet-stream).',
  ],
  AWS_UNREACHABLE: [
    502,
    'AWS Marketplace or Amazon SNS could not be reached or gave no usable answer; try again in a few minutes (SNS sends again by itself).',
  ],
} as const satisfies Record<string, readonly [number, string]>;

export type Code = keyof typeof TABLE;

export const CODES = Object.keys(TABLE) as Code[];

/** Each code's sentence for a person (the detail of a failure may say more). */
export const CODE_DESCRIPTIONS = Object.fromEntries(CODES.map((code) => [code, TABLE[code][1]])) as {
  readonly [C in Code]: (typeof TABLE)[C][1];
};

/** Each code's HTTP status: the one table every Tessera HTTP service answers by. */
export const CODE_HTTP_STATUS = Object.fromEntries(CODES.map((code) => [code, TABLE[code][0]])) as {
  readonly [C in Code]: (typeof TABLE)[C][0];
};

/** The HTTP status a refusal with this code is answered with. */
export function httpStatusOf(code: Code): number {
  return CODE_HTTP_STATUS[code];
}

/** License statuses with the names users know from License Manager. */
export type LicenseStatus = 'NotExist' | 'Normal' | 'Expiring' | 'Grace' | 'Expired' | 'Invalid';

export const STATUS_DESCRIPTIONS: Record<LicenseStatus, string> = {
  NotExist: 'No license is loaded.',
  Normal: 'Valid.',
  Expiring: 'Valid, expiring within warn days.',
  Grace: 'Expired, inside grace days: still working, renew now.',
  Expired: 'Expired past grace: new seats are refused and leases are not renewed.',
  Invalid: 'Not usable here: see the code (signature, binding, product, clock, ...).',
};
