/** Envelope surgery for the fuzz soak: take a document apart, change one thing, put it back with a correct length prefix. */
import { sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { armor, encodeBase64Url, FORMAT_VERSION, frameDocument } from '@tessera/core';
import type { SignedDoc } from './corpus.js';
import type { Rng } from './prng.js';

export const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** What a person could type into an identifier: the symbols, lower case, the forgiven look-alikes, and U. */
export const IDENT_CHARS = CROCKFORD + CROCKFORD.toLowerCase() + 'OoIiLlUu';

// ---------------------------------------------------------------------------------------------------------------
// Envelope surgery.

export interface Parts {
  readonly typ: string;
  readonly payload: string;
  readonly signature: string;
}

export function split(line: string): Parts {
  const first = line.indexOf('.');
  const last = line.lastIndexOf('.');
  return { typ: line.slice('tessera-'.length, line.indexOf(':')), payload: line.slice(first + 1, last), signature: line.slice(last + 1) };
}

/** A document line with a correct length prefix, as sealEnvelope writes it. */
export function assemble(typ: string, payload: string, signature: string): string {
  return frameDocument(typ, payload, signature);
}

export function payloadObject(line: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(split(line).payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function bodyOf(line: string): Record<string, unknown> {
  const { v: _v, kid: _kid, typ: _typ, ...body } = payloadObject(line);
  return body;
}

/** Signs exact payload bytes as core does: Ed25519 over "tessera/<typ>/" + bytes. */
export function signBytes(typ: string, payload: Uint8Array, privateKey: KeyObject): string {
  const signature = sign(null, Buffer.concat([Buffer.from(`tessera/${typ}/`), payload]), privateKey);
  return assemble(typ, encodeBase64Url(payload), encodeBase64Url(signature));
}

export function payloadBytes(fields: Record<string, unknown>): Uint8Array {
  return Buffer.from(JSON.stringify(fields), 'utf8');
}

/** The same body under a new envelope signed by `privateKey`, claiming `kid`. */
export function resign(doc: SignedDoc, kid: string, privateKey: KeyObject, body = bodyOf(doc.text)): string {
  return signBytes(doc.typ, payloadBytes({ v: FORMAT_VERSION, kid, typ: doc.typ, ...body }), privateKey);
}

export function present(doc: SignedDoc, line: string): string {
  return doc.armored ? armor(line) : line;
}

export function signerKey(doc: SignedDoc): KeyObject {
  return doc.signer.kind === 'vendor' ? doc.signer.key.privateKey : doc.signer.lm.privateKey;
}

// ---------------------------------------------------------------------------------------------------------------
// Values that have broken parsers before: as raw JSON text, so they can be anything JSON can say.

export const NASTY_JSON: readonly string[] = [
  'null',
  'true',
  'false',
  '0',
  '-0',
  '-1',
  '1',
  '2',
  '1.5',
  '1e309',
  '-1e309',
  '9007199254740993',
  '1e2',
  '""',
  '" "',
  '"\\u0000"',
  '"\\ud800"',
  '"\\u202e"',
  JSON.stringify('x'.repeat(300)),
  JSON.stringify('a'.repeat(70)),
  '[]',
  '{}',
  '[1]',
  '["scan","scan"]',
  '[null]',
  '{"toString":1}',
  '{"valueOf":1,"toString":1}',
  '[{"toString":1}]',
  '{"__proto__":{"v":1}}',
  '{"constructor":{"prototype":1}}',
  '"__proto__"',
  '"constructor"',
  '"2026-02-30T00:00:00Z"',
  '"2026-01-01T00:00:00+01:00"',
  '"2026-01-01T00:00:00.1234Z"',
  '"+002026-01-01T00:00:00Z"',
  '"lic_"',
  '"QPDH-7K2M-W8RT-0C4X"',
  '"ann@example"',
  '"license"',
  '"request"',
  '['.repeat(3000) + ']'.repeat(3000),
  '{"a":'.repeat(1000) + '1' + '}'.repeat(1000),
];
export const FIELD_NAMES = ['v', 'kid', 'typ', '__proto__', 'constructor', 'toString', 'extra', 'lmid', 'id', ''];
export const PLACEHOLDER = '\u0001fuzz\u0001';
export const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);

type Container = Record<string, unknown> | unknown[];

/** One change to the parsed payload (replace a value, delete one, add a field, add a duplicate key); JSON text out. */
export function fieldMutation(rng: Rng, payload: Record<string, unknown>, kids: readonly string[]): string {
  const root = structuredClone(payload);
  const containers: Container[] = [];
  const slots: { parent: Container; key: string | number }[] = [];
  const walk = (node: Container) => {
    containers.push(node);
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    for (const key of keys) {
      slots.push({ parent: node, key });
      const value = (node as Record<string | number, unknown>)[key];
      if (typeof value === 'object' && value !== null) walk(value as Container);
    }
  };
  walk(root);
  const fragment = rng.chance(0.85) ? rng.pick(NASTY_JSON) : JSON.stringify(rng.pick(kids));
  const op = rng.int(4);
  let duplicate = '';
  if (op === 0 || op === 1) {
    const slot = rng.pick(slots);
    if (op === 0) (slot.parent as Record<string | number, unknown>)[slot.key] = PLACEHOLDER;
    else if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
    else delete slot.parent[slot.key as string];
  } else if (op === 2) {
    const container = rng.pick(containers);
    if (Array.isArray(container)) container.push(PLACEHOLDER);
    // defineProperty, so that "__proto__" becomes an own field rather than the prototype.
    else
      Object.defineProperty(container, rng.pick(FIELD_NAMES), { value: PLACEHOLDER, enumerable: true, writable: true, configurable: true });
  } else {
    // A second value for an existing top-level key, after the first: JSON.parse keeps the last one.
    duplicate = `,${JSON.stringify(rng.pick([...Object.keys(root), 'v', 'kid', 'typ']))}:${fragment}`;
  }
  let json = JSON.stringify(root).replace(PLACEHOLDER_JSON, () => fragment);
  if (duplicate) json = json.slice(0, -1) + duplicate + '}';
  return json;
}
