/** Garbage for the fuzz soak: strings that look a little like Tessera documents, and some that do not at all. */
import { encodeBase64Url } from '@tessera/core';
import type { Corpus } from './corpus.js';
import { assemble, B64URL, bodyOf, IDENT_CHARS, payloadBytes } from './surgery.js';
import type { Rng } from './prng.js';

// ---------------------------------------------------------------------------------------------------------------
// Garbage.

export const TOKENS = [
  'tessera-',
  'license',
  'request',
  'lease',
  'sync',
  ':',
  '.',
  '..',
  '-----BEGIN TESSERA LICENSE-----',
  '-----END TESSERA LICENSE-----',
  '\n',
  ' ',
  '\u200b',
  '\ufeff',
  '0',
  '999999',
  '1000000',
  'eyJ',
  '=',
  '%',
  '\\',
  '"',
  '{',
  '}',
  '\u0000',
  '\ud83d',
  '\ude00',
  'ß',
  'ı',
  'ﬀ',
];

export function garbage(rng: Rng, corpus: Corpus): string {
  switch (rng.int(6)) {
    case 0: {
      // Any UTF-16 code units, lone surrogates included.
      let out = '';
      const n = rng.int(200);
      for (let i = 0; i < n; i++) out += String.fromCharCode(rng.int(0x10000));
      return out;
    }
    case 1: {
      let out = '';
      const n = rng.int(30);
      for (let i = 0; i < n; i++) out += rng.pick(TOKENS);
      return out;
    }
    case 2:
      // Structurally right, random bytes inside.
      return assemble(rng.pick(['license', 'request', 'lease', 'sync']), rng.string(B64URL, rng.int(400)), rng.string(B64URL, 86));
    case 3: {
      // A plausible payload with a random signature: gets as far as the signature check.
      const typ = rng.pick(['license', 'request', 'lease', 'sync'] as const);
      const kid = rng.pick([corpus.vendor.active.kid, corpus.vendor.retired.kid, corpus.vendor.revoked.kid, corpus.lm.a.lmid, 'k0']);
      const payload = payloadBytes({ v: rng.pick([1, 1, 1, 2, 0]), kid, typ, ...bodyOf(rng.pick(corpus.signed).text) });
      return assemble(typ, encodeBase64Url(payload), encodeBase64Url(rng.bytes(64)));
    }
    case 4:
      return rng.chance(0.005)
        ? rng.string(B64URL + '.', 65_537 + rng.int(5000))
        : rng.string(' !"#$%&()*+,-./0123456789:;<=>?@ABCZabcz[]_{|}~', rng.int(100));
    default: {
      // An identifier-shaped string: groups of symbols and hyphens.
      const groups = rng.range(1, 6);
      const parts: string[] = [];
      for (let i = 0; i < groups; i++) parts.push(rng.string(IDENT_CHARS, rng.range(1, 6)));
      return parts.join('-');
    }
  }
}
