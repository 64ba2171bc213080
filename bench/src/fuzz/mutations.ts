/**
 * The mutations. Character-level ones work on the text as pasted (armor included); structural ones take the
 * envelope apart, change one thing, and put it back together with a correct length prefix, so that only the check
 * meant to catch the change can catch it. Each mutation names the codes a correct core answers with (informational).
 */
import { deriveLmid, encodeBase64Url, FORMAT_VERSION } from '@tessera/core';
import type { Code } from '@tessera/core';
import type { Corpus, Doc, SignedDoc } from './corpus.js';
import type { Rng } from './prng.js';
import { assemble, bodyOf, fieldMutation, payloadBytes, payloadObject, present, resign, signBytes, signerKey, split } from './surgery.js';
import { garbage } from './garbage.js';
import { B64URL, IDENT_CHARS } from './surgery.js';

export type MutationGroup = 'character' | 'structural' | 'targeted' | 'garbage' | 'trusted-signer';

export interface Mutation {
  readonly name: string;
  readonly group: MutationGroup;
  /** What it does, for the README and the result file. */
  readonly about: string;
  readonly applies: (doc: Doc, corpus: Corpus) => boolean;
  /** A crash-only probe for this document: ok:true proves nothing and is not counted as accepted. */
  readonly crashOnly?: (doc: Doc) => boolean;
  /** The codes a correct core refuses this mutant with; any other code is tallied as unexpected (not a failure). */
  readonly expect?: (doc: SignedDoc) => readonly Code[];
  readonly apply: (rng: Rng, doc: Doc, corpus: Corpus) => string;
}

export { B64URL } from './surgery.js';
const SIGNED_INSERTS = B64URL + '.:-= \n\t\u200b\ufeff';
const IDENT_INSERTS = IDENT_CHARS + '- ';
const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

// ---------------------------------------------------------------------------------------------------------------
// The mutations.

const signedOnly = (doc: Doc) => doc.kind === 'signed';
const vendorOnly = (doc: Doc) => doc.kind === 'signed' && doc.signer.kind === 'vendor';
const requestOnly = (doc: Doc) => doc.kind === 'signed' && doc.signer.kind === 'lm';
const asSigned = (doc: Doc) => doc as SignedDoc;
/** The text character-level mutations work on. */
const surface = (doc: Doc) => (doc.kind === 'signed' ? doc.presented : doc.text);

function donors(doc: SignedDoc, corpus: Corpus, sameKid: boolean): SignedDoc[] {
  return corpus.signed.filter((d) => d.text !== doc.text && (d.kid === doc.kid) === sameKid);
}

function payloadSwap(sameKid: boolean): Mutation['apply'] {
  return (rng, d, corpus) => {
    const doc = asSigned(d);
    const donor = rng.pick(donors(doc, corpus, sameKid));
    const { typ, signature } = split(doc.text);
    return present(doc, assemble(typ, split(donor.text).payload, signature));
  };
}

/** A length prefix that parses: `zeros` leading zeros, then the true length. */
function paddedLength(typ: string, rest: string, zeros: number): string {
  const label = `tessera-${typ}:`;
  for (let digits = 1; digits < 10; digits++) {
    const length = label.length + zeros + digits + 1 + rest.length;
    if (String(length).length === digits) return `${label}${'0'.repeat(zeros)}${length}.${rest}`;
  }
  throw new Error('unreachable');
}

/** Small-order Ed25519 points (the identity and the point of order 2): a "public key" for which forgeries are trivial. */
const WEAK_POINTS = [
  Buffer.from('0100000000000000000000000000000000000000000000000000000000000000', 'hex'),
  Buffer.from('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex'),
];
/** R = the identity, S = 0: verifies against the identity key for every message (and against order 2 for half). */
const WEAK_SIGNATURE = Buffer.concat([WEAK_POINTS[0]!, Buffer.alloc(32)]);

export const MUTATIONS: readonly Mutation[] = [
  // --- character level: any document ---------------------------------------------------------------------------
  {
    name: 'bit-flip',
    group: 'character',
    about: 'flip one of the low 8 bits of one character code',
    applies: () => true,
    apply: (rng, doc) => {
      const text = surface(doc);
      const at = rng.int(text.length);
      return text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ (1 << rng.int(8))) + text.slice(at + 1);
    },
  },
  {
    name: 'replace-char',
    group: 'character',
    about: 'replace one character with a random one of the alphabet (base64url; Crockford with case and look-alikes)',
    applies: () => true,
    apply: (rng, doc) => {
      const text = surface(doc);
      const at = rng.int(text.length);
      return text.slice(0, at) + rng.pick([...(doc.kind === 'signed' ? B64URL : IDENT_CHARS)]) + text.slice(at + 1);
    },
  },
  {
    name: 'delete-char',
    group: 'character',
    about: 'delete one character',
    applies: () => true,
    apply: (rng, doc) => {
      const text = surface(doc);
      const at = rng.int(text.length);
      return text.slice(0, at) + text.slice(at + 1);
    },
  },
  {
    name: 'insert-char',
    group: 'character',
    about: 'insert one character (alphabet, separators, whitespace, zero-width)',
    applies: () => true,
    apply: (rng, doc) => {
      const text = surface(doc);
      const at = rng.int(text.length + 1);
      return text.slice(0, at) + rng.pick([...(doc.kind === 'signed' ? SIGNED_INSERTS : IDENT_INSERTS)]) + text.slice(at);
    },
  },
  {
    name: 'truncate',
    group: 'character',
    about: 'cut the text short at a random point',
    applies: () => true,
    apply: (rng, doc) => surface(doc).slice(0, rng.int(surface(doc).length)),
  },
  {
    name: 'duplicate-segment',
    group: 'character',
    about: 'repeat a segment of up to 40 characters right after itself',
    applies: () => true,
    apply: (rng, doc) => {
      const text = surface(doc);
      const from = rng.int(text.length);
      const to = Math.min(text.length, from + 1 + rng.int(40));
      return text.slice(0, to) + text.slice(from, to) + text.slice(to);
    },
  },
  {
    name: 'swap-neighbours',
    group: 'character',
    about: 'swap two neighbouring characters',
    applies: () => true,
    apply: (rng, doc) => {
      const text = surface(doc);
      const at = rng.int(text.length - 1);
      return text.slice(0, at) + text[at + 1] + text[at] + text.slice(at + 2);
    },
  },
  {
    name: 'garbage',
    group: 'garbage',
    about: 'random unicode, token soup, well-framed random envelopes, identifier-shaped strings, over-long text',
    applies: () => true,
    // Random symbols pass an identifier's one-symbol check 1 time in 32 by design: only crashes count there.
    crashOnly: (doc) => doc.kind === 'ident',
    apply: (rng, _doc, corpus) => garbage(rng, corpus),
  },

  // --- structural: signed documents, reassembled with a correct length prefix ---------------------------------------
  {
    name: 'payload-swap-same-kid',
    group: 'structural',
    about: "another document's payload (same signing key) under this signature",
    applies: (doc, corpus) => doc.kind === 'signed' && donors(doc, corpus, true).length > 0,
    expect: () => ['SIGNATURE_INVALID', 'MALFORMED'],
    apply: payloadSwap(true),
  },
  {
    name: 'payload-swap-other-kid',
    group: 'structural',
    about: "another document's payload (another signing key) under this signature",
    applies: (doc, corpus) => doc.kind === 'signed' && donors(doc, corpus, false).length > 0,
    expect: () => ['SIGNATURE_INVALID', 'MALFORMED'],
    apply: payloadSwap(false),
  },
  {
    name: 'signature-swap',
    group: 'structural',
    about: "another document's signature on this payload",
    applies: signedOnly,
    expect: () => ['SIGNATURE_INVALID'],
    apply: (rng, d, corpus) => {
      const doc = asSigned(d);
      const donor = rng.pick(corpus.signed.filter((o) => o.text !== doc.text));
      const { typ, payload } = split(doc.text);
      return present(doc, assemble(typ, payload, split(donor.text).signature));
    },
  },
  {
    name: 'typ-change',
    group: 'structural',
    about: 'another kind in the prefix (tessera-license -> tessera-request, ...), length fixed',
    applies: signedOnly,
    expect: () => ['WRONG_KIND', 'MALFORMED'],
    apply: (rng, d) => {
      const doc = asSigned(d);
      const { payload, signature } = split(doc.text);
      const typ = rng.pick(['license', 'request', 'lease', 'sync', 'licence', 'x', 'LICENSE', 'tessera'].filter((t) => t !== doc.typ));
      return present(doc, assemble(typ, payload, signature));
    },
  },
  {
    name: 'payload-reencode',
    group: 'structural',
    about: 'the same JSON re-serialised (whitespace, field order, \\u escapes), length fixed',
    applies: signedOnly,
    expect: () => ['SIGNATURE_INVALID'],
    apply: (rng, d) => {
      const doc = asSigned(d);
      const { typ, payload, signature } = split(doc.text);
      const original = Buffer.from(payload, 'base64url').toString('utf8');
      let fields = payloadObject(doc.text);
      if (rng.chance(0.5)) {
        const entries = Object.entries(fields);
        for (let i = entries.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [entries[i], entries[j]] = [entries[j]!, entries[i]!];
        }
        fields = Object.fromEntries(entries);
      }
      let json = JSON.stringify(fields, null, rng.pick([0, 1, 2, 4, '\t', ' ']));
      if (rng.chance(0.3)) json = json.replace('"v"', '"\\u0076"');
      if (rng.chance(0.3)) json = `${rng.pick([' ', '\n', '\t'])}${json}${rng.pick(['', ' ', '\n'])}`;
      if (json === original) json = JSON.stringify(fields, null, 1);
      return present(doc, assemble(typ, encodeBase64Url(Buffer.from(json, 'utf8')), signature));
    },
  },
  {
    name: 'resign-unknown-key',
    group: 'structural',
    about: 'the same body signed by a vendor key not in the trust bundle (request codes: by another LM key)',
    applies: signedOnly,
    expect: (doc) => (doc.signer.kind === 'vendor' ? ['UNKNOWN_KEY'] : ['SIGNATURE_INVALID']),
    apply: (_rng, d, corpus) => {
      const doc = asSigned(d);
      if (doc.signer.kind === 'lm') return present(doc, resign(doc, doc.kid, corpus.lm.b.privateKey));
      return present(doc, resign(doc, corpus.vendor.unknown.kid, corpus.vendor.unknown.privateKey));
    },
  },
  {
    name: 'resign-claimed-kid',
    group: 'structural',
    about: "the same body signed by an unknown key but claiming the original signer's kid",
    applies: vendorOnly,
    expect: () => ['SIGNATURE_INVALID'],
    apply: (_rng, d, corpus) => {
      const doc = asSigned(d);
      return present(doc, resign(doc, doc.kid, corpus.vendor.unknown.privateKey));
    },
  },
  {
    name: 'resign-revoked-key',
    group: 'structural',
    about: 'the same body signed by a key the trust bundle lists as revoked',
    applies: vendorOnly,
    expect: () => ['KEY_REVOKED'],
    apply: (_rng, d, corpus) => {
      const doc = asSigned(d);
      return present(doc, resign(doc, corpus.vendor.revoked.kid, corpus.vendor.revoked.privateKey));
    },
  },
  {
    name: 'payload-bitflip',
    group: 'structural',
    about: 'one bit of the decoded payload flipped, re-encoded canonically, length fixed',
    applies: signedOnly,
    expect: () => ['SIGNATURE_INVALID', 'MALFORMED', 'UNKNOWN_KEY', 'UNSUPPORTED_VERSION', 'KEY_REVOKED'],
    apply: (rng, d) => {
      const doc = asSigned(d);
      const { typ, payload, signature } = split(doc.text);
      const bytes = Buffer.from(payload, 'base64url');
      const at = rng.int(bytes.length);
      bytes[at] = bytes[at]! ^ (1 << rng.int(8));
      return present(doc, assemble(typ, encodeBase64Url(bytes), signature));
    },
  },

  // --- targeted: beyond the brief, aimed at specific checks ------------------------------------------------------
  {
    name: 'length-prefix',
    group: 'targeted',
    about: 'the unsigned length prefix rewritten: leading zeros with the true length, off by a few, random, too many digits',
    applies: signedOnly,
    expect: () => ['MALFORMED'],
    apply: (rng, d) => {
      const doc = asSigned(d);
      const { typ, payload, signature } = split(doc.text);
      const rest = `${payload}.${signature}`;
      const label = `tessera-${typ}:`;
      const declared = Number(doc.text.slice(label.length, doc.text.indexOf('.')));
      switch (rng.int(5)) {
        case 0:
          return present(doc, paddedLength(typ, rest, rng.range(1, 3)));
        case 1:
          return present(doc, `${label}${declared + rng.pick([-3, -2, -1, 1, 2, 3])}.${rest}`);
        case 2:
          return present(doc, `${label}${rng.int(1_000_000)}.${rest}`);
        case 3:
          return present(doc, `${label}${String(declared).padStart(7, '0')}.${rest}`);
        default:
          return present(doc, `${label}${rng.pick(['', '+' + declared, declared + '.0', '0x' + declared.toString(16), '١٢٣'])}.${rest}`);
      }
    },
  },
  {
    name: 'sig-malleate',
    group: 'targeted',
    about: 'the signature scalar S replaced by S + k*L (same value mod L, non-canonical encoding)',
    applies: signedOnly,
    expect: () => ['SIGNATURE_INVALID'],
    apply: (rng, d) => {
      const doc = asSigned(d);
      const { typ, payload, signature } = split(doc.text);
      const sig = Buffer.from(signature, 'base64url');
      let s = 0n;
      for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]!);
      s += BigInt(rng.range(1, 14)) * ED25519_L;
      for (let i = 0; i < 32; i++) {
        sig[32 + i] = Number(s & 0xffn);
        s >>= 8n;
      }
      return present(doc, assemble(typ, payload, encodeBase64Url(sig)));
    },
  },
  {
    name: 'payload-field',
    group: 'targeted',
    about:
      'one JSON value replaced by a nasty one (types, prototypes, deep nesting, bad dates), removed, added or duplicated; original signature',
    applies: signedOnly,
    apply: (rng, d, corpus) => {
      const doc = asSigned(d);
      const { typ, signature } = split(doc.text);
      const kids = [
        corpus.vendor.active.kid,
        corpus.vendor.retired.kid,
        corpus.vendor.revoked.kid,
        corpus.vendor.unknown.kid,
        corpus.lm.b.lmid,
      ];
      const json = fieldMutation(rng, payloadObject(doc.text), kids);
      return present(doc, assemble(typ, encodeBase64Url(Buffer.from(json, 'utf8')), signature));
    },
  },
  {
    name: 'request-other-lm-key',
    group: 'targeted',
    about: "a request code re-signed by another LM's key, carrying that key, but keeping the original LMID",
    applies: requestOnly,
    expect: () => ['LMID_MISMATCH'],
    apply: (_rng, d, corpus) => {
      const doc = asSigned(d);
      const body = { ...bodyOf(doc.text), lmPublicKey: encodeBase64Url(corpus.lm.b.publicKeyRaw) };
      return resign(doc, doc.kid, corpus.lm.b.privateKey, body);
    },
  },
  {
    name: 'weak-lm-key',
    group: 'targeted',
    about: 'a request code forged without any private key: a small-order "public key", its LMID, and the signature (R=identity, S=0)',
    applies: requestOnly,
    expect: () => ['MALFORMED', 'SIGNATURE_INVALID'],
    apply: (rng, d, corpus) => {
      const doc = asSigned(d);
      const point = rng.pick(WEAK_POINTS);
      const lmid = deriveLmid(point, corpus.lm.a.hostDigest);
      const body = { ...bodyOf(doc.text), lmid, lmPublicKey: encodeBase64Url(point) };
      const payload = payloadBytes({ v: FORMAT_VERSION, kid: lmid, typ: 'request', ...body });
      return assemble('request', encodeBase64Url(payload), encodeBase64Url(WEAK_SIGNATURE));
    },
  },

  // --- trusted signer: crash probes only ---------------------------------------------------------------------
  {
    name: 'trusted-resign-field',
    group: 'trusted-signer',
    crashOnly: () => true,
    about:
      'a nasty field change signed by the legitimate signer (a trusted vendor key, or the LM itself): only crashes count, ok:true is legitimate',
    applies: signedOnly,
    apply: (rng, d, corpus) => {
      const doc = asSigned(d);
      const kids = [doc.kid, corpus.vendor.unknown.kid, corpus.vendor.revoked.kid];
      const json = fieldMutation(rng, payloadObject(doc.text), kids);
      return present(doc, signBytes(doc.typ, Buffer.from(json, 'utf8'), signerKey(doc)));
    },
  },
];
