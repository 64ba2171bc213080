/**
 * The committed conformance vectors are what core writes today: rebuilt from the seeds, byte for byte. A change in
 * core that changes a verdict fails here until the vectors are written again (npm run vectors) and every SDK
 * passes them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildVectors, VECTORS_DIR } from '../conformance/make-vectors.js';

const built = buildVectors();

describe('conformance vectors', () => {
  it.each(Object.keys(built))('%s is what core writes today', (name) => {
    expect(readFileSync(join(VECTORS_DIR, name), 'utf8')).toBe(built[name]);
  });

  it('cover every refusal code an SDK can meet reading a license or an answer', () => {
    const codes = new Set<string>();
    for (const text of Object.values(built)) {
      for (const v of (JSON.parse(text) as { vectors: { expect: { code?: string } }[] }).vectors)
        if (v.expect.code) codes.add(v.expect.code);
    }
    for (const code of [
      'VALID',
      'EXPIRING',
      'IN_GRACE',
      'EXPIRED',
      'NOT_YET_VALID',
      'NO_LICENSE',
      'SIGNATURE_INVALID',
      'MALFORMED',
      'UNSUPPORTED_VERSION',
      'UNKNOWN_KEY',
      'KEY_REVOKED',
      'LMID_MISMATCH',
      'PRODUCT_MISMATCH',
      'CLOCK_TAMPERED',
      'SUPERSEDED',
      'WRONG_KIND',
      'LEASE_TOKEN_INVALID',
      'UNTRUSTED_ROOT',
      'STALE_ANSWER',
    ]) {
      expect(codes, code).toContain(code);
    }
  });
});
