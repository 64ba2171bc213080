/**
 * The untrusted inputs of AWS Marketplace, without a database: SNS signatures (any change to a signed field, a
 * wrong certificate or an untrusted certificate URL fails), Marketplace message bodies (never a throw, whatever
 * arrives), and the configuration's problems, each named by its variable.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCenterConfig } from '../src/config.js';
import { eventOf } from '../src/services/marketplace-notifications.js';
import { SnsVerifier } from '../src/services/sns-messages.js';
import type { SnsMessage } from '../src/services/sns-messages.js';
import { FakeAws } from './support/fake-aws.js';

const BUYER = { customerIdentifier: 'CUST0001', accountId: '111122223333', productCode: 'prodtest0001' };

describe('SNS signatures', () => {
  let aws: FakeAws;
  let verifier: SnsVerifier;

  beforeAll(async () => {
    aws = await new FakeAws().start();
    verifier = new SnsVerifier({ certUrlPattern: new RegExp(`^${aws.url.replace(/[.]/g, '\\.')}/`) });
  });
  afterAll(async () => {
    await aws?.close();
  });

  it('accepts both signature versions of both signed message types, and fetches the certificate once', async () => {
    for (const version of ['1', '2'] as const) {
      expect((await verifier.verify(aws.notification('entitlement-updated', BUYER, { version }) as unknown as SnsMessage)).ok).toBe(true);
      expect((await verifier.verify(aws.subscriptionConfirmation({ version }) as unknown as SnsMessage)).ok).toBe(true);
    }
    expect(aws.certFetches).toBe(1);
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

  it('never fetches a certificate from an untrusted URL', async () => {
    const before = aws.certFetches;
    for (const url of [
      'https://sns.us-east-1.amazonaws.com.evil.example/x.pem',
      'http://169.254.169.254/latest/meta-data',
      'file:///etc/passwd',
    ]) {
      const verdict = await verifier.verify({
        ...(aws.notification('entitlement-updated', BUYER) as unknown as SnsMessage),
        SigningCertURL: url,
      });
      expect(verdict.ok ? 'ok' : verdict.code).toBe('BAD_REQUEST');
    }
    expect(aws.certFetches).toBe(before);
    const production = new SnsVerifier({ certUrlPattern: new RegExp(loadDefaults().certUrlPattern) });
    expect(production.trusted('https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem')).toBe(true);
    expect(production.trusted('https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem')).toBe(true);
    expect(production.trusted('https://sns.us-east-1.amazonaws.com.evil.example/x.pem')).toBe(false);
    expect(production.trusted('http://sns.us-east-1.amazonaws.com/x.pem')).toBe(false);
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
