/**
 * Vectors of seat lease tokens: what a node (after a checkout or heartbeat) and a controller (verifySeat) accept
 * as the License Manager's word that a seat is held. The expected verdicts are written here by hand, not computed:
 * the TypeScript SDK is held to them like every other SDK.
 */
import { lm, otherLm, alterPayload, forgeSignature, leaseToken } from './vectors-lm.js';

const LICENSE = { id: 'lic_fixture1', serial: 3 };
const FIELDS = { leaseId: 'lease_01', product: 'graphdb', role: 'query', nodeId: 'q1', instance: 'inst-7f3a' };
const ISSUED = '2026-06-15T00:00:00.000Z';
const EXPIRES = '2026-06-15T00:00:30.000Z';
const NOW = '2026-06-15T00:00:10.000Z';

function payload(change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    leaseId: FIELDS.leaseId,
    lmid: lm.lmid,
    product: FIELDS.product,
    role: FIELDS.role,
    nodeId: FIELDS.nodeId,
    instance: FIELDS.instance,
    licenseId: LICENSE.id,
    serial: LICENSE.serial,
    issuedAt: ISSUED,
    expiresAt: EXPIRES,
    ...change,
  };
}

const good = leaseToken(lm, payload());
const accepted = {
  ok: true,
  leaseId: FIELDS.leaseId,
  role: FIELDS.role,
  nodeId: FIELDS.nodeId,
  lmid: lm.lmid,
  licenseId: LICENSE.id,
  serial: LICENSE.serial,
  issuedAt: ISSUED,
  expiresAt: EXPIRES,
  ttlMs: 30_000,
};
const invalid = { ok: false, code: 'LEASE_TOKEN_INVALID' };

interface Case {
  name: string;
  token: string;
  now?: string;
  fields?: Record<string, string>;
  license?: { id: string; serial: number };
  expect: Record<string, unknown>;
}

export function leaseTokenVectors() {
  const cases: Case[] = [
    { name: 'valid', token: good, expect: accepted },
    { name: 'valid for a controller, which knows only the product', token: good, fields: { product: 'graphdb' }, expect: accepted },
    {
      name: 'past its expiry by 9 minutes: within the 10 minutes of clock difference allowed',
      token: good,
      now: '2026-06-15T00:09:30.000Z',
      expect: accepted,
    },
    { name: 'past its expiry by more than 10 minutes', token: good, now: '2026-06-15T00:10:30.001Z', expect: invalid },
    { name: 'signed under another license id', token: leaseToken(lm, payload({ licenseId: 'lic_other' })), expect: invalid },
    { name: 'signed under an older serial', token: leaseToken(lm, payload({ serial: 2 })), expect: invalid },
    { name: 'serial as text', token: leaseToken(lm, payload({ serial: '3' })), expect: invalid },
    { name: 'forged signature', token: forgeSignature(good), expect: invalid },
    { name: 'payload altered (another instance)', token: alterPayload(good, 'inst-7f3a', 'inst-0000'), expect: invalid },
    { name: 'signed by another License Manager', token: leaseToken(otherLm, payload({ lmid: otherLm.lmid })), expect: invalid },
    { name: "names this LM's LMID as kid but signed by another key", token: leaseToken(otherLm, payload(), lm.lmid), expect: invalid },
    { name: 'kid right, payload names another LMID', token: leaseToken(lm, payload({ lmid: otherLm.lmid })), expect: invalid },
    { name: "another connection's token (instance)", token: leaseToken(lm, payload({ instance: 'inst-other' })), expect: invalid },
    { name: 'another lease', token: leaseToken(lm, payload({ leaseId: 'lease_02' })), expect: invalid },
    { name: 'another product', token: leaseToken(lm, payload({ product: 'guard' })), expect: invalid },
    { name: 'another role', token: leaseToken(lm, payload({ role: 'storage' })), expect: invalid },
    { name: 'another node id', token: leaseToken(lm, payload({ nodeId: 'q2' })), expect: invalid },
    { name: 'expiresAt not after issuedAt', token: leaseToken(lm, payload({ expiresAt: ISSUED })), expect: invalid },
    { name: 'issuedAt not a time', token: leaseToken(lm, payload({ issuedAt: 'yesterday' })), expect: invalid },
    {
      name: 'no leaseId, for a controller',
      token: leaseToken(lm, payload({ leaseId: 7 })),
      fields: { product: 'graphdb' },
      expect: invalid,
    },
    { name: 'not a lease token: a license', token: 'tessera-license:25.e30.' + 'A'.repeat(86), expect: invalid },
    { name: 'empty', token: '', expect: invalid },
    { name: 'cut short', token: good.slice(0, good.length - 5), expect: invalid },
  ];
  return {
    format: 'tessera-conformance/lease-tokens',
    v: 1,
    description:
      "A seat lease token checked as a node checks its checkout and heartbeat answers and a controller checks a node's token: an envelope of typ lease signed by the LM key input.identity.lmPublicKey with kid input.identity.lmid; its payload lmid and every field of input.fields exactly equal; leaseId, role and nodeId text; licenseId and serial exactly input.license; issuedAt and expiresAt ISO times with expiresAt after issuedAt; and not expired at input.now by more than 10 minutes (expiresAt + 10 min >= now). expect: the facts (issuedAt and expiresAt as ISO with milliseconds, ttlMs = expiresAt - issuedAt) or LEASE_TOKEN_INVALID.",
    vectors: cases.map((c) => ({
      name: c.name,
      input: {
        token: c.token,
        identity: { lmid: lm.lmid, lmPublicKey: lm.lmPublicKey },
        fields: c.fields ?? FIELDS,
        license: c.license ?? LICENSE,
        now: c.now ?? NOW,
      },
      expect: c.expect,
    })),
  };
}
