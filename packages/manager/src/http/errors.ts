/** The LM's mapping of refusal codes to HTTP statuses; the error type and handler are shared (@tessera/http). */
import type { Code } from '@tessera/core';

export { ApiError, installErrorHandling } from '@tessera/http';

/** HTTP status for a refusal code. */
export function statusFor(code: Code): number {
  switch (code) {
    case 'BAD_REQUEST':
    case 'MALFORMED':
    case 'CHECKSUM_MISMATCH':
    case 'WRONG_KIND':
    case 'UNSUPPORTED_VERSION':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'NOT_FOUND':
    case 'LEASE_NOT_FOUND':
      return 404;
    case 'TOO_MANY_NODES':
    case 'NODE_ID_IN_USE':
      return 409;
    case 'RATE_LIMITED':
      return 429;
    case 'CENTER_UNREACHABLE':
      return 502;
    case 'INTERNAL':
      return 500;
    default:
      // The license does not allow it (expired, invalid, wrong product, ...).
      return 403;
  }
}
