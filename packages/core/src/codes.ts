/**
 * The closed list of outcome codes. Codes are part of the public contract: they appear in the API, the CLI's
 * --json output and the docs (docs/codes.md, generated from CODE_DESCRIPTIONS). Never rename one.
 */
export const CODE_DESCRIPTIONS = {
  VALID: 'The license is valid and not close to its expiry.',
  EXPIRING: 'The license is valid but expires within its warn days.',
  IN_GRACE: 'The license has expired but is inside its grace days; seats are still granted.',
  EXPIRED: 'The license expired and its grace days are over; no seats are granted.',
  NOT_YET_VALID: 'The license starts in the future.',
  NO_LICENSE: 'No license is loaded.',
  SIGNATURE_INVALID: 'The signature does not match the document: it was altered or damaged.',
  MALFORMED: 'The text is not a well-formed Tessera document, key or code (cut short, wrong characters, bad fields).',
  UNSUPPORTED_VERSION: 'The document uses a format version this software does not understand.',
  CHECKSUM_MISMATCH: 'The check character of an online key or LMID does not match: a character was mistyped.',
  UNKNOWN_KEY: 'The document was signed by a vendor key that is not in the trust bundle.',
  KEY_REVOKED: 'The document was signed by a vendor key that has been revoked.',
  LMID_MISMATCH: 'The license is bound to another License Manager (LMID).',
  PRODUCT_MISMATCH: 'The license is for another product.',
  CLOCK_TAMPERED: 'The system clock is behind a time already seen; it was set back.',
  SUPERSEDED: 'A newer copy of this license (a higher serial) is already known.',
  WRONG_KIND: 'The text is another kind of Tessera document (for example a request code where a license key belongs).',
  TOO_MANY_NODES: 'Every seat of this role is taken.',
  ROLE_NOT_LICENSED: 'The license grants no seats for this node role.',
  LEASE_NOT_FOUND: 'The seat lease is unknown or has run out; check out a seat again.',
  NOT_ONLINE: 'The License Manager holds no online key, so there is nothing to sync.',
  CENTER_UNREACHABLE: 'The License Center could not be reached or gave no usable answer.',
  SYNC_REFUSED: 'The License Center refused the sync request (for example an unknown or unbound online key).',
  BAD_REQUEST: 'The request is missing a field or has a field of the wrong form.',
  UNAUTHORIZED: 'The call needs a credential (the admin token, or the License Manager seat secret), and none or a wrong one was given.',
  NOT_FOUND: 'No such resource.',
  RATE_LIMITED: 'Too many requests; wait and try again.',
  INTERNAL: 'An unexpected error; it was logged with the request id.',
  LM_UNREACHABLE:
    "The License Manager could not be reached or gave no usable answer (SDK); a held seat lasts until its lease runs out, then for the license's outage grace (status Degraded, still licensed).",
  LEASE_TOKEN_INVALID:
    "The License Manager's seat lease token or identity did not verify (SDK): wrong signature, another LM, or fields that do not match.",
  BAD_OPTIONS:
    'The SDK was called with a missing or malformed option (url, product, role, nodeId, root, secret, ca, timings), or with the removed trust option.',
  PACKAGE_EXISTS: 'An installation package of this product, version and platform is already uploaded; withdraw it first.',
  LICENSE_NOT_ACTIVE: 'The license is suspended, ended or expired past its grace, so its packages cannot be downloaded.',
  LINK_EXPIRED: 'The download link has expired; make a new one from the license page.',
  LINK_INVALID: 'The download link was altered or cut short; copy it again, or make a new one from the license page.',
  NODE_ID_IN_USE: 'Another running process already holds the seat of this node id; stop it or give this node another id.',
  UNTRUSTED_ROOT:
    "The trust bundle (and so every license it vouches for) is not signed by a root key the product was built with: it is not the vendor's.",
  MODE_MISMATCH: 'The license was issued for online mode; load its online key, not the license document as an offline key.',
  STALE_ANSWER: "The License Manager's signed answer is not for this request (an old nonce): a recorded answer was served again.",
  RESET_NOT_APPLICABLE:
    "The clock reset is for another License Manager's clock, or the clock's high-water mark has moved since it was asked for.",
} as const;

export type Code = keyof typeof CODE_DESCRIPTIONS;

export const CODES = Object.keys(CODE_DESCRIPTIONS) as Code[];

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
