/**
 * The untrusted inputs of AWS Marketplace, without a database: SNS signatures (any change to a signed field, a
 * wrong certificate or an untrusted certificate URL fails), Marketplace message bodies (never a throw, whatever
 * arrives), and the configuration's problems, each named by its variable.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCenterConfig } from '../src/config.js';
import { eventOf } from '../src/services/marketplace/marketplace-notifications.js';
import { SnsVerifier } from '../src/services/marketplace/sns-messages.js';
import type { SnsMessage } from '../src/services/marketplace/sns-messages.js';
import { FakeAws } from './support/fake-aws.js';

const BUYER = { customerIdentifier: 'CUST0001', accountId: '111122223333', productCode: 'prodtest0001' };

describe('SNS signatures', () => {
  let aws: FakeAws;
  let verifier: SnsVerifier;
  /** The fake's own address, trusted as an AWS endpoint (TESSERA_AWS_ENDPOINT) and by the pattern, as in the tests of the whole flow. */
  const trustingTheFake = (allowSha1: boolean) =>
    new SnsVerifier({ certUrlPattern: new RegExp(`^${aws.url.replace(/[.]/g, '\\.')}/`), endpoint: aws.url, allowSha1 });

  beforeAll(async () => {
    aws = await new FakeAws().start();
    verifier = trustingTheFake(true);
  });
  afterAll(async () => {
    await aws?.close();
  });

  it('accepts both signature versions of both signed message types when SHA1 is allowed, and fetches the certificate once', async () => {
    for (const version of ['1', '2'] as const) {
      expect((await verifier.verify(aws.notification('entitlement-updated', BUYER, { version }) as unknown as SnsMessage)).ok).toBe(true);
      expect((await verifier.verify(aws.subscriptionConfirmation({ version }) as unknown as SnsMessage)).ok).toBe(true);
    }
    expect(aws.certFetches).toBe(1);
  });

  it('refuses SignatureVersion 1 (SHA1) unless it is allowed, before fetching anything; version 2 always verifies', async () => {
    const strict = trustingTheFake(false);
    const before = aws.certFetches;
    for (const message of [
      aws.notification('entitlement-updated', BUYER, { version: '1' }),
      aws.subscriptionConfirmation({ version: '1' }),
    ]) {
      expect(await strict.verify(message as unknown as SnsMessage)).toMatchObject({
        ok: false,
        code: 'SIGNATURE_INVALID',
        detail: expect.stringContaining('TESSERA_SNS_ALLOW_SHA1'),
      });
    }
    expect(aws.certFetches).toBe(before);
    expect((await strict.verify(aws.notification('entitlement-updated', BUYER) as unknown as SnsMessage)).ok).toBe(true);
  });

  it('refuses a message with any signed field changed', async () => {
    const message = aws.subscriptionConfirmation() as unknown as SnsMessage;
    const fields = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn'] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), fc.string({ minLength: 1, maxLength: 40 }), async (field, extra) => {
        const changed = { ...message, [field]: `${message[field]}${extra}` };
        const verdict = await verifier.verify(changed);
        expect(verdict.ok).toBe(false);
      }),
      { numRuns: 60 },
    );
    // A notification's signature does not verify it as another type.
    const notification = aws.notification('entitlement-updated', BUYER) as unknown as SnsMessage;
    expect((await verifier.verify({ ...notification, Type: 'SubscriptionConfirmation' })).ok).toBe(false);
    expect((await verifier.verify({ ...notification, SignatureVersion: '3' })).ok).toBe(false);
  });

  it('never fetches a certificate from anything but an SNS certificate address', async () => {
    const before = aws.certFetches;
    for (const url of [
      'https://sns.us-east-1.amazonaws.com.evil.example/x.pem',
      'http://169.254.169.254/latest/meta-data',
      'file:///etc/passwd',
      // The trusted address, but not an SNS certificate's path.
      `${aws.url}/cert.pem`,
      `${aws.url}/SimpleNotificationService-notahex.pem`,
      `${aws.url}/SimpleNotificationService-0123abcd.pem?redirect=https://evil.example`,
      `${aws.url}/SimpleNotificationService-0123abcd.pem/../../x.pem`,
      // SNS's own, but not matching this run's pattern: the pattern narrows.
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem',
      'not a url',
    ]) {
      const verdict = await verifier.verify({
        ...(aws.notification('entitlement-updated', BUYER) as unknown as SnsMessage),
        SigningCertURL: url,
      });
      expect(verdict.ok ? 'ok' : verdict.code, url).toBe('BAD_REQUEST');
    }
    expect(aws.certFetches).toBe(before);
  });

  it('trusts by default only https://sns.<region>.amazonaws.com[.cn]/SimpleNotificationService-<hex>.pem, whatever the pattern allows', () => {
    const aws = loadDefaults();
    const production = new SnsVerifier({ certUrlPattern: aws.certUrlPattern, endpoint: null, allowSha1: aws.allowSha1 });
    // A pattern widened by mistake widens nothing.
    const widened = new SnsVerifier({ certUrlPattern: /.*/, endpoint: null, allowSha1: false });
    const good = [
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem',
      'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc0.pem',
      'https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-ABC0.pem',
    ];
    const bad = [
      'https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-abc0.pem',
      'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc0.pem',
      'https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-abc0.pem',
      'https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-abc0.pem',
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc0.pem#x',
      'https://sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc0.pem/../x.pem',
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc0.pem?x=1',
      'https://sns.amazonaws.com/SimpleNotificationService-abc0.pem',
      'https://s3.us-east-1.amazonaws.com/SimpleNotificationService-abc0.pem',
      'https://evil.example/SimpleNotificationService-abc0.pem',
    ];
    for (const url of good) expect([production.trustedCertUrl(url), widened.trustedCertUrl(url)], url).toEqual([true, true]);
    for (const url of bad) expect([production.trustedCertUrl(url), widened.trustedCertUrl(url)], url).toEqual([false, false]);
    expect(aws.allowSha1).toBe(false);
    const subscribe =
      'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At&Token=abc';
    expect(production.trustedSubscribeUrl(subscribe)).toBe(true);
    for (const url of [
      subscribe.replace('ConfirmSubscription', 'Unsubscribe'),
      subscribe.replace('.com/?', '.com/x?'),
      subscribe.replace('sns.us-east-1.amazonaws.com', 'sns.us-east-1.amazonaws.com.evil.example'),
      subscribe.replace('https:', 'http:'),
    ]) {
      expect(widened.trustedSubscribeUrl(url), url).toBe(false);
    }
  });
});

describe('Marketplace message bodies', () => {
  it('reads the documented forms, and never throws on anything else', () => {
    expect(eventOf('{"action":"entitlement-updated","customer-identifier":"X01","product-code":"p1"}')).toEqual({
      action: 'entitlement-updated',
      customerIdentifier: 'X01',
      productCode: 'p1',
    });
    // AWS's own example, with its trailing comma and leading space.
    expect(eventOf('{\n "action": "subscribe-success",\n "customer-identifier": " X01",\n "product-code": "p1",\n}')).toMatchObject({
      action: 'subscribe-success',
      customerIdentifier: 'X01',
    });
    expect(eventOf('{"action":"unsubscribe-success","CustomerIdentifier":"X02","ProductCode":"p1"}')).toMatchObject({
      customerIdentifier: 'X02',
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const event = eventOf(text);
        expect(event === null || typeof event.action === 'string').toBe(true);
      }),
    );
  });
});

describe('AWS Marketplace configuration', () => {
  it('names every problem with its variable, all at once', () => {
    const loaded = loadCenterConfig(
      { data: '/nonexistent-tessera', port: '0' },
      {
        TESSERA_MASTER_KEY: Buffer.alloc(32, 1).toString('base64url'),
        TESSERA_AWS_REGION: 'Mars',
        TESSERA_AWS_ENDPOINT: 'ftp://x',
        TESSERA_SNS_CERT_URL_PATTERN: '([',
        TESSERA_AWS_MARKETPLACE_PRODUCTS:
          '{"prod1": {"product": "graphdb"}, "prod2": {"product": "guard", "dimensions": {"e": "enforcer"}, "term": "2y"}}',
      },
    );
    expect(loaded.ok).toBe(false);
    const problems = loaded.ok ? [] : loaded.problems;
    expect(problems).toHaveLength(5);
    for (const name of [
      'TESSERA_AWS_REGION',
      'TESSERA_AWS_ENDPOINT',
      'TESSERA_SNS_CERT_URL_PATTERN',
      'prod1 needs "dimensions"',
      'prod2 has "term" 2y',
    ]) {
      expect(problems.some((p) => p.includes(name))).toBe(true);
    }
    expect(loadCenterConfig({ port: '0' }, { TESSERA_AWS_MARKETPLACE_PRODUCTS: 'not json', TESSERA_MASTER_KEY: 'x' }).ok).toBe(false);
  });

  it('reads TESSERA_SNS_ALLOW_SHA1 as true or false, and names anything else', () => {
    const key = { TESSERA_MASTER_KEY: Buffer.alloc(32, 1).toString('base64url') };
    const sha1 = (value: string) => {
      const loaded = loadCenterConfig({ port: '0' }, { ...key, TESSERA_SNS_ALLOW_SHA1: value });
      return loaded.ok ? loaded.config.aws.allowSha1 : loaded.problems;
    };
    expect(sha1('true')).toBe(true);
    expect(sha1('false')).toBe(false);
    expect(sha1('')).toBe(false);
    expect(sha1('yes')).toEqual(['TESSERA_SNS_ALLOW_SHA1 must be true or false (got "yes").']);
  });

  it('defaults to AWS: us-east-1, its endpoints, SNS certificates and the Marketplace topics', () => {
    const aws = loadDefaults();
    expect(aws.region).toBe('us-east-1');
    expect(aws.endpoint).toBeNull();
    expect(aws.products).toEqual({});
    expect(aws.topicPattern.test('arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-abc')).toBe(true);
    expect(aws.topicPattern.test('arn:aws:sns:us-east-1:999999999999:aws-mp-subscription-notification-abc')).toBe(false);
  });
});

function loadDefaults() {
  const loaded = loadCenterConfig({ port: '0' }, { TESSERA_MASTER_KEY: Buffer.alloc(32, 1).toString('base64url') });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  return loaded.config.aws;
}
