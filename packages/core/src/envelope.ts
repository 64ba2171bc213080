/**
 * The signed envelope every Tessera document uses: one line `<prefix>.<base64url payload>.<base64url signature>`.
 *
 * - prefix is `tessera-<typ>:<n>`, where n is the length of the whole line; it names the kind before anything is
 *   decoded (so "this is a request code, not a license key" needs no crypto) and lets a cut-short paste say by how
 *   much. It is a hint only: the signed typ inside the payload is what counts, and the two must agree.
 * - payload is UTF-8 JSON carrying v (format version), kid (signing key id) and typ.
 * - the Ed25519 signature covers "tessera/<typ>/" followed by the exact payload bytes; nothing is re-serialised.
 */
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { ed25519Sign, ed25519Verify } from './crypto.js';
import type { KeyObject } from './crypto.js';
import { describeValue } from './fields.js';
import { fail, ok } from './result.js';
import type { Failure, Result } from './result.js';

export const FORMAT_VERSION = 1;
export const DOCUMENT_TYPES = ['license', 'request', 'lease', 'sync', 'trust', 'answer', 'reset', 'root'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** What a person calls each kind; used in messages and armor labels. */
export const DOCUMENT_NAMES: Record<DocumentType, string> = {
  license: 'license key',
  request: 'request code',
  lease: 'seat lease token',
  sync: 'License Center sync answer',
  trust: 'trust bundle',
  answer: 'License Manager answer',
  reset: 'clock reset',
  root: 'root endorsement',
};
const ARMOR_LABELS: Record<DocumentType, string> = {
  license: 'TESSERA LICENSE',
  request: 'TESSERA REQUEST CODE',
  lease: 'TESSERA LEASE',
  sync: 'TESSERA SYNC',
  trust: 'TESSERA TRUST BUNDLE',
  answer: 'TESSERA LM ANSWER',
  reset: 'TESSERA CLOCK RESET',
  root: 'TESSERA ROOT ENDORSEMENT',
};

const SIGNATURE_CONTEXT: Record<DocumentType, Uint8Array> = {
  license: Buffer.from('tessera/license/'),
  request: Buffer.from('tessera/request/'),
  lease: Buffer.from('tessera/lease/'),
  sync: Buffer.from('tessera/sync/'),
  trust: Buffer.from('tessera/trust/'),
  answer: Buffer.from('tessera/answer/'),
  reset: Buffer.from('tessera/reset/'),
  root: Buffer.from('tessera/root/'),
};

/** An envelope whose structure is sound; its signature is not checked yet. */
export interface Envelope {
  readonly typ: DocumentType;
  readonly kid: string;
  readonly v: number;
  /** The parsed payload JSON, fields v/kid/typ included. */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly payloadBytes: Uint8Array;
  readonly signature: Uint8Array;
  /** The canonical one-line text. */
  readonly text: string;
}

export interface Signer {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

const RESERVED_FIELDS = ['v', 'kid', 'typ'];
const SIGNATURE_CHARS = 86; // 64 bytes in unpadded base64url
const MAX_TEXT = 64 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const HEAD = /^tessera-([a-z]+):([1-9][0-9]{0,5})$/; // no leading zeros: one document, one text
const NOISE = /\s|\u200b|\u200c|\u200d|\u2060|\ufeff/g; // whitespace and the zero-width characters web pages add
const HAS_NOISE = /\s|\u200b|\u200c|\u200d|\u2060|\ufeff/;
const ARMOR_BEGIN = /-----BEGIN ([A-Z ]+)-----/;
const ARMOR_END = /-----END ([A-Z ]+)-----/;

/** Signs `body` as a document of kind `typ`. The body must not carry v, kid or typ: the envelope sets them. */
export function sealEnvelope(typ: DocumentType, signer: Signer, body: Readonly<Record<string, unknown>>): string {
  for (const field of RESERVED_FIELDS) {
    if (field in body) throw new TypeError(`body must not set the envelope field ${field}`);
  }
  const payloadBytes = Buffer.from(JSON.stringify({ v: FORMAT_VERSION, kid: signer.kid, typ, ...body }), 'utf8');
  const signature = ed25519Sign(signer.privateKey, signedMessage(typ, payloadBytes));
  return frameDocument(typ, encodeBase64Url(payloadBytes), encodeBase64Url(signature));
}

/**
 * The one-line text of a document from its encoded parts, with the length prefix. No checks: tests and the fuzz
 * soak use it to build documents whose length is right but whose contents are not.
 */
export function frameDocument(typ: string, payloadBase64: string, signatureBase64: string): string {
  const rest = `${payloadBase64}.${signatureBase64}`;
  const label = `tessera-${typ}:`;
  let digits = 1;
  while (String(label.length + digits + 1 + rest.length).length !== digits) digits++;
  return `${label}${label.length + digits + 1 + rest.length}.${rest}`;
}

/** Checks the signature of a parsed envelope with a public key. */
export function verifyEnvelope(envelope: Envelope, publicKey: KeyObject): boolean {
  return ed25519Verify(publicKey, signedMessage(envelope.typ, envelope.payloadBytes), envelope.signature);
}

function signedMessage(typ: DocumentType, payloadBytes: Uint8Array): Uint8Array {
  return Buffer.concat([SIGNATURE_CONTEXT[typ], payloadBytes]);
}

/** Wraps a one-line document in an armored block of 64-character lines, for mail and files. */
export function armor(text: string): string {
  const typ = HEAD.exec(text.slice(0, text.indexOf('.')))?.[1];
  const label = ARMOR_LABELS[typ as DocumentType] ?? 'TESSERA DOCUMENT';
  const lines = text.match(/.{1,64}/g) ?? [];
  return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join('\n');
}

/**
 * Forgives what copy and paste does to a key: surrounding whitespace, line breaks and spaces inside it,
 * zero-width characters, and an armored block around it.
 */
export function normalizeDocumentText(input: string): Result<string> {
  let text = input;
  // includes() first: on the hot path (a clean one-line key) neither regex needs to run.
  const begin = text.includes('-----BEGIN') ? ARMOR_BEGIN.exec(text) : null;
  if (begin) {
    const end = ARMOR_END.exec(text);
    if (!end || end.index < begin.index) {
      return fail(
        'MALFORMED',
        `The ${begin[1]!.toLowerCase()} block has no END line: the copy was cut short. Copy the whole block, from BEGIN to END.`,
      );
    }
    text = text.slice(begin.index + begin[0].length, end.index);
  }
  return ok(HAS_NOISE.test(text) ? text.replace(NOISE, '') : text);
}

/** Parses and structurally checks a document of the `expected` kind. Never throws. */
export function parseEnvelope(input: unknown, expected: DocumentType): Result<Envelope> {
  const name = DOCUMENT_NAMES[expected];
  if (typeof input !== 'string') return fail('MALFORMED', `The ${name} must be text.`);
  if (input.length > MAX_TEXT) return fail('MALFORMED', `This is far too long to be a ${name} (${input.length} characters).`);
  const normalized = normalizeDocumentText(input);
  if (!normalized.ok) return normalized;
  const text = normalized.value;
  if (text === '') return fail('MALFORMED', `The ${name} is empty: nothing was pasted.`);

  const firstDot = text.indexOf('.');
  const head = HEAD.exec(firstDot < 0 ? text : text.slice(0, firstDot));
  if (!head) return notADocument(text, name, expected);
  if (firstDot < 0)
    return fail('MALFORMED', `The ${name} is cut short: only its first ${text.length} characters are there. Copy it again, all of it.`);
  const typ = head[1] as DocumentType;
  if (!(DOCUMENT_TYPES as readonly string[]).includes(typ)) {
    return fail('MALFORMED', `This is not a ${name}: "tessera-${typ}" is not a kind of Tessera document.`);
  }
  if (typ !== expected) {
    return fail('WRONG_KIND', `This is a ${DOCUMENT_NAMES[typ]}, not a ${name}.`);
  }
  const declared = Number(head[2]);
  if (text.length < declared) {
    return fail('MALFORMED', `The ${name} is cut short (${text.length} of ${declared} characters). Copy it again, all of it.`);
  }
  if (text.length > declared) {
    return fail(
      'MALFORMED',
      `The ${name} has ${text.length - declared} characters more than it should (${text.length} instead of ${declared}); something else was pasted with it.`,
    );
  }

  const secondDot = text.indexOf('.', firstDot + 1);
  if (secondDot < 0 || text.indexOf('.', secondDot + 1) >= 0) {
    return fail('MALFORMED', `The ${name} is damaged: it should have exactly three parts separated by dots.`);
  }
  const payloadText = text.slice(firstDot + 1, secondDot);
  const signatureText = text.slice(secondDot + 1);
  if (signatureText.length !== SIGNATURE_CHARS) {
    return fail('MALFORMED', `The ${name} is damaged: its signature has ${signatureText.length} characters instead of ${SIGNATURE_CHARS}.`);
  }
  const payloadBytes = decodeBase64Url(payloadText);
  const signature = decodeBase64Url(signatureText);
  if (!payloadBytes || !signature) {
    return fail('MALFORMED', `The ${name} is damaged: it contains characters that cannot be in a key. Copy it again.`);
  }

  let payload: unknown;
  try {
    payload = JSON.parse(utf8.decode(payloadBytes));
  } catch {
    return fail('MALFORMED', `The ${name} is damaged: its contents cannot be read. Copy it again.`);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return fail('MALFORMED', `The ${name} is damaged: its contents are not a document.`);
  }
  const fields = payload as Record<string, unknown>;
  if (typeof fields.v !== 'number' || !Number.isSafeInteger(fields.v) || fields.v < 1) {
    return fail('MALFORMED', `The ${name} has no valid format version.`);
  }
  if (fields.v !== FORMAT_VERSION) {
    return fail(
      'UNSUPPORTED_VERSION',
      `The ${name} uses format version ${fields.v}; this software reads version ${FORMAT_VERSION}. Upgrade it.`,
    );
  }
  if (typeof fields.kid !== 'string' || fields.kid.length === 0 || fields.kid.length > 128) {
    return fail('MALFORMED', `The ${name} does not name the key that signed it.`);
  }
  if (fields.typ !== typ) {
    return fail('MALFORMED', `The ${name} is inconsistent: its label says ${typ} but its contents say ${describeValue(fields.typ)}.`);
  }
  return ok({ typ, kid: fields.kid, v: fields.v, payload: fields, payloadBytes, signature, text });
}

function notADocument(text: string, name: string, expected: DocumentType): Failure {
  const compact = text.replace(/-/g, '');
  if (/^[0-9A-Za-z]{25}$/.test(compact)) {
    return fail(
      'WRONG_KIND',
      `This is an online key (5 groups of 5 characters), not a signed ${name}. An online key is loaded as it is; the License Manager then fetches the license from the License Center.`,
    );
  }
  if (/^[0-9A-Za-z]{16}$/.test(compact)) {
    return fail('WRONG_KIND', `This is an LMID (a License Manager's identity), not a ${name}.`);
  }
  if (text.startsWith('tessera-')) {
    return fail('MALFORMED', `The ${name} is damaged at its start: it should begin with "tessera-${expected}:". Copy it again.`);
  }
  return fail('MALFORMED', `This is not a ${name}: a ${name} begins with "tessera-${expected}:".`);
}
