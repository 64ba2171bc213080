/** Prefixed random identifiers (lic_…, cus_…): 20 lower-case base32 characters, 100 random bits. */
import { randomBytes } from 'node:crypto';

export type IdPrefix = 'prd_' | 'cus_' | 'ctr_' | 'lic_' | 'usr_' | 'tok_' | 'mail_' | 'pkg_';

// Crockford's alphabet in lower case: no i, l, o, u, so an id read aloud or retyped is not misread.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const LENGTH = 20;
const POOL_SIZE = LENGTH * 128;

// One randomBytes call serves 128 ids; ids are made on people's actions, but a bulk import makes many.
let pool = Buffer.alloc(0);
let offset = 0;

export function newId(prefix: IdPrefix): string {
  if (offset + LENGTH > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  let id = prefix;
  // 256 is a multiple of 32, so the low five bits of a random byte are uniform.
  for (let i = 0; i < LENGTH; i++) id += ALPHABET[pool[offset + i]! & 31];
  offset += LENGTH;
  return id;
}
