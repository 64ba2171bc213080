/** Options are checked before anything is sent: a mistake is a LicenseError BAD_OPTIONS naming the option. */
import { describe, expect, it } from 'vitest';
import { formatTrustRoot, generateEd25519, rawPublicKey, serializeTrustBundle } from '@tessera/core';
import { connect, LicenseError, verifySeat, watch } from '@tessera/sdk';
import type { ConnectOptions } from '@tessera/sdk';

const root = formatTrustRoot(rawPublicKey(generateEd25519().privateKey));
const good: ConnectOptions = { url: 'http://127.0.0.1:9', product: 'graphdb', role: 'query', nodeId: 'q1', root };
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

async function rejection(promise: Promise<unknown>): Promise<LicenseError> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(LicenseError);
  return outcome as LicenseError;
}

describe('bad options', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no url', { url: '' }, /"url" must be the License Manager's address/],
    ['a url that is no address', { url: 'http://' }, /"url" "http:\/\/" is not an address/],
    ['another scheme', { url: 'ftp://lm:21' }, /"url" must use http or https, not ftp/],
    ['credentials in the url', { url: 'http://admin:secret@lm:9119' }, /without query or credentials/],
    ['an empty list of addresses', { url: [] }, /"url" as a list must name 1 to 8 addresses of the License Manager's replicas; got 0/],
    ['nine addresses', { url: Array.from({ length: 9 }, (_, i) => `http://lm-${i}:9119`) }, /must name 1 to 8 addresses .* got 9/],
    [
      'the same address twice',
      { url: ['http://lm:9119', 'lm:9119/'] },
      /"url" names http:\/\/lm:9119 twice; give each replica's address once/,
    ],
    ['a list with an address of another scheme', { url: ['http://lm:9119', 'ftp://lm:21'] }, /"url" must use http or https, not ftp/],
    ['a list that is not of text', { url: ['http://lm:9119', 7] }, /"url" must be the License Manager's address/],
    [
      'a ca with an http address among https ones',
      { url: ['https://lm-0:9119', 'http://lm-1:9119'], ca: PEM },
      /"ca" is for a License Manager served over https, but "url" is http:\/\/lm-1:9119/,
    ],
    ['timers whose now is not a method', { timers: { setTimeout, clearTimeout, now: 5 } }, /"timers.now" must be a method/],
    ['a product name with spaces', { product: 'Graph DB' }, /"product" must be a name .* got "Graph DB"/],
    ['no role', { role: undefined }, /"role" must be a name .* got nothing/],
    ['an empty node id', { nodeId: '' }, /"nodeId" must be a stable id of this node/],
    ['a negative timeout', { timeoutMs: -1 }, /"timeoutMs" must be a whole number of milliseconds/],
    ['a fractional heartbeat', { heartbeatMs: 1.5 }, /"heartbeatMs" must be a whole number/],
    ['a poll too short', { pollMs: 1 }, /"pollMs" must be a whole number of milliseconds from 10/],
    ['no root', { root: undefined }, /"root" must be the vendor's root public key "tessera-root:…" .* got nothing/],
    [
      'a root given as a file path',
      { root: '/etc/graphdb/root.txt' },
      /"root" cannot be used: A trust root must be the text "tessera-root:…"/,
    ],
    ['a damaged root', { root: 'tessera-root:AAAA' }, /"root" cannot be used: The trust root is damaged/],
    ['an empty list of roots', { root: [] }, /"root" cannot be used: At least one trust root is needed/],
    ['a list with a root that is not text', { root: [root, 7] }, /"root" must be the vendor's root public key .* got an object/],
    ['a secret with a line break', { secret: 'abc\r\nx-admin: 1' }, /"secret" must be the License Manager's seat secret/],
    ['an empty secret', { secret: '' }, /"secret" must be the License Manager's seat secret/],
    ['a ca that is not PEM', { url: 'https://lm:9119', ca: '/etc/ssl/lm-ca.pem' }, /"ca" must be PEM text/],
    ['a ca for an http address', { ca: PEM }, /"ca" is for a License Manager served over https, but "url" is http:\/\/127\.0\.0\.1:9/],
    ['a clock without now()', { clock: { time: 1 } }, /"clock" must be an object with a now\(\) method/],
    [
      'timers without clearTimeout',
      { timers: { setTimeout } },
      /"timers" must be an object with setTimeout\(callback, ms\) and clearTimeout\(handle\)/,
    ],
  ];
  for (const [name, change, message] of cases) {
    it(`connect() rejects ${name}`, async () => {
      const error = await rejection(connect({ ...good, ...change } as ConnectOptions));
      expect(error.code).toBe('BAD_OPTIONS');
      expect(error.message).toMatch(message);
      expect(error.state).toBeNull();
    });
  }

  it('watch() rejects bad options too, and only those', async () => {
    expect((await rejection(watch({ url: 'lm:9119', product: '', root }))).code).toBe('BAD_OPTIONS');
    expect((await rejection(watch(null as never))).message).toMatch(/options must be an object/);
  });

  it('refuses the old "trust" option, even beside a root: a file on the customer\'s machine must not widen trust', async () => {
    const trust = serializeTrustBundle([]);
    for (const options of [
      { ...good, trust },
      { ...good, root: undefined, trust },
    ]) {
      const error = await rejection(connect(options as unknown as ConnectOptions));
      expect(error.code).toBe('BAD_OPTIONS');
      expect(error.message).toMatch(/"trust" is no longer an option: compile the vendor's root key into the product instead/);
    }
    const watched = await rejection(watch({ url: good.url, product: 'graphdb', root, trust } as never));
    expect(watched.message).toMatch(/"trust" is no longer an option/);
    const seat = await verifySeat({ url: good.url, product: 'graphdb', token: 'x', root, trust } as never);
    expect(seat).toMatchObject({ ok: false, code: 'BAD_OPTIONS', message: expect.stringMatching(/"trust" is no longer an option/) });
  });

  it('never puts the seat secret in its message', async () => {
    const error = await rejection(connect({ ...good, secret: 'hunter2\n' }));
    expect(error.message).not.toContain('hunter2');
  });

  it('never puts a password from the url in its message', async () => {
    const error = await rejection(connect({ ...good, url: 'http://admin:hunter2@lm:9119' }));
    expect(error.message).not.toContain('hunter2');
  });
});
