/**
 * The conformance vectors (sdks/conformance/vectors, sdks/conformance/README.md) through this SDK's own checks: the
 * same files the Go, Python and Java SDKs verify, so a behaviour change in one SDK without the others fails.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBase64Url, evaluate, evaluationOfFailure, parseTrustRoots, publicKeyFromRaw, readSignedTrustBundle } from '@tessera/core';
import { readChain, readLicenseAnswer } from '../src/license-answer.js';
import type { LicenseAnswer } from '../src/lm-client.js';
import { Seen } from '../src/seen.js';
import type { SdkClock } from '../src/types.js';
import { checkIdentity, licenseFacts, verifyLeaseToken } from '../src/verify.js';

interface Vector<I> {
  name: string;
  input: I;
  expect: Record<string, unknown>;
}
const vectors = <I>(file: string): Vector<I>[] =>
  (JSON.parse(readFileSync(new URL(`../../../sdks/conformance/vectors/${file}`, import.meta.url), 'utf8')) as { vectors: Vector<I>[] })
    .vectors;

const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));
const factsOf = (facts: ReturnType<typeof licenseFacts>) => {
  const { licenseId, ...rest } = facts;
  return { id: licenseId, ...rest };
};

function roots(texts: string[]) {
  const parsed = parseTrustRoots(texts);
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed.value;
}

describe('conformance: roots', () => {
  it.each(vectors<string>('roots.json'))('$name', (v) => {
    const parsed = parseTrustRoots([v.input]);
    expect(parsed.ok ? { ok: true, kid: parsed.value[0]!.kid } : { ok: false, code: parsed.code }).toEqual(v.expect);
  });
});

describe('conformance: trust bundles', () => {
  it.each(vectors<{ roots: string[]; bundle: string }>('trust-bundles.json'))('$name', (v) => {
    const read = readSignedTrustBundle(v.input.bundle, roots(v.input.roots));
    const got = read.ok
      ? {
          ok: true,
          serial: read.value.serial,
          rootKid: read.value.rootKid,
          keys: Object.fromEntries([...read.value.keys.values()].map((k) => [k.kid, k.state])),
        }
      : { ok: false, code: read.code };
    expect(got).toEqual(v.expect);
  });
});

interface LicenseInput {
  roots: string[];
  trust: string;
  license: string;
  now: string;
  lmid: string;
  product: string;
  highWater: string | null;
  knownSerial: { licenseId: string; serial: number } | null;
}

describe('conformance: licenses', () => {
  it.each(vectors<LicenseInput>('licenses.json'))('$name', (v) => {
    const { input } = v;
    const chain = readChain(input.trust, input.license, roots(input.roots));
    const verdict = chain.ok
      ? evaluate(chain.value.license, {
          now: ms(input.now)!,
          lmid: input.lmid,
          product: input.product,
          highWaterTime: ms(input.highWater),
          knownSerial: input.knownSerial,
        })
      : evaluationOfFailure({ ok: false, code: chain.code as never, detail: chain.detail });
    const { valid, status, code, daysLeft } = verdict;
    const license = chain.ok ? factsOf(licenseFacts(chain.value.license)) : null;
    expect({ valid, status, code, daysLeft, license }).toEqual(v.expect);
  });
});

interface TokenInput {
  token: string;
  identity: { lmid: string; lmPublicKey: string };
  fields: Record<string, string>;
  license: { id: string; serial: number };
  now: string;
}

describe('conformance: lease tokens', () => {
  it.each(vectors<TokenInput>('lease-tokens.json'))('$name', (v) => {
    const { input } = v;
    // The identity as an LM shows it; the host digest does not matter to a token, so it is checked apart (lm-answers).
    const identity = { lmid: input.identity.lmid, publicKey: keyOf(input.identity.lmPublicKey) };
    const checked = verifyLeaseToken(input.token, { identity, fields: input.fields, license: input.license, now: ms(input.now)! });
    const got = checked.ok
      ? { ok: true, ...checked.value, issuedAt: new Date(checked.value.issuedAt).toISOString() }
      : { ok: false, code: checked.code };
    expect(got).toEqual(v.expect);
  });
});

interface AnswerInput {
  body: LicenseAnswer;
  context: {
    roots: string[];
    product: string;
    nonce: string;
    now: string;
    clockHighWater: string | null;
    acceptedBundleSerial: number;
    knownLicenseSerial: number | null;
  };
}

describe('conformance: License Manager answers', () => {
  it.each(vectors<AnswerInput>('lm-answers.json'))('$name', (v) => {
    const { body, context } = v.input;
    const productRoots = roots(context.roots);
    const rootKids = productRoots.map((r) => r.kid);
    const seen = new Seen();
    if (context.acceptedBundleSerial > 0) seen.acceptBundleSerial(rootKids, context.acceptedBundleSerial);
    if (context.knownLicenseSerial !== null) seen.acceptLicenseSerial(body.lmid, 'lic_fixture1', context.knownLicenseSerial);
    // A clock that read clockHighWater once before and now reads now.
    const times = [...(context.clockHighWater ? [ms(context.clockHighWater)!] : []), ms(context.now)!];
    const clock: SdkClock = { now: () => (times.length > 1 ? times.shift()! : times[0]!) };
    if (context.clockHighWater) seen.readClock(clock);
    const { outcome } = readLicenseAnswer(
      body,
      { url: 'http://lm.test:9119', product: context.product, roots: productRoots, clock, nonce: context.nonce, seen },
      null,
    );
    if (!outcome.ok) {
      expect({ ok: false, code: outcome.code }).toEqual(v.expect);
      return;
    }
    const { evaluation, facts, status, identity } = outcome.value;
    const remembers = {
      bundleSerial: seen.highestBundleSerial(rootKids) || null,
      licenseSerial: seen.knownLicenseSerial(identity.lmid, 'lic_fixture1')?.serial ?? null,
    };
    expect({
      ok: true,
      lmid: identity.lmid,
      status,
      code: evaluation.code,
      valid: evaluation.valid,
      daysLeft: evaluation.daysLeft,
      license: facts ? factsOf(facts) : null,
      remembers,
    }).toEqual(v.expect);
  });

  it('the identity check alone: an LMID derives from the key and host digest shown', () => {
    const good = vectors<AnswerInput>('lm-answers.json').find((v) => v.name === 'valid')!.input.body;
    expect(checkIdentity(good).ok).toBe(true);
    expect(checkIdentity({ ...good, hostDigest: good.lmPublicKey })).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
  });
});

function keyOf(lmPublicKey: string) {
  const raw = decodeBase64Url(lmPublicKey);
  const key = raw ? publicKeyFromRaw(raw) : null;
  if (!key) throw new Error(`${lmPublicKey} is not a key`);
  return key;
}
