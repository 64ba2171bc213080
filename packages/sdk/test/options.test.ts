/** Options are checked before anything is sent: a mistake is a LicenseError BAD_OPTIONS naming the option. */
import { describe, expect, it } from 'vitest';
import { connect, LicenseError, watch } from '@tessera/sdk';
import type { ConnectOptions } from '@tessera/sdk';

const good: ConnectOptions = { url: 'http://127.0.0.1:9', product: 'graphdb', role: 'query', nodeId: 'q1' };

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
    ['a product name with spaces', { product: 'Graph DB' }, /"product" must be a name .* got "Graph DB"/],
    ['no role', { role: undefined }, /"role" must be a name .* got nothing/],
    ['an empty node id', { nodeId: '' }, /"nodeId" must be a stable id of this node/],
    ['a negative timeout', { timeoutMs: -1 }, /"timeoutMs" must be a whole number of milliseconds/],
    ['a fractional heartbeat', { heartbeatMs: 1.5 }, /"heartbeatMs" must be a whole number/],
    ['a poll too short', { pollMs: 1 }, /"pollMs" must be a whole number of milliseconds from 10/],
    ['a trust bundle that is not JSON', { trust: 'not json' }, /"trust" cannot be used: The trust bundle is not valid JSON/],
    ['a trust bundle given as an object', { trust: { keys: [] } }, /"trust" must be the text of the vendor's trust bundle/],
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
    expect((await rejection(watch({ url: 'lm:9119', product: '' }))).code).toBe('BAD_OPTIONS');
    expect((await rejection(watch(null as never))).message).toMatch(/options must be an object/);
  });

  it('never puts a password from the url in its message', async () => {
    const error = await rejection(connect({ ...good, url: 'http://admin:hunter2@lm:9119' }));
    expect(error.message).not.toContain('hunter2');
  });
});
