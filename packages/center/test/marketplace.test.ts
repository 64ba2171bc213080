/**
 * AWS Marketplace SaaS contracts end to end on each dialect, against a local AWS stand-in speaking the real wire
 * protocols (test/support/fake-aws.ts): a purchase from the registration POST through the setup mail (received by a
 * real SMTP server) to the
 * customer's license; registering twice; bad tokens; SNS subscription confirmation; renewal and expansion
 * notifications picked up by a real License Manager syncing online; duplicates applied once; forgeries refused;
 * unsubscribe and subscribe-fail.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '@tessera/manager';
import type { Daemon } from '@tessera/manager';
import { DIALECTS } from './support/databases.js';
import { FakeAws, SUBSCRIPTION_TOPIC } from './support/fake-aws.js';
import type { Buyer, SnsDelivery } from './support/fake-aws.js';
import { Client, PASSWORD, startTestCenter } from './support/http.js';
import type { TestCenter } from './support/http.js';
import { waitFor } from './support/processes.js';
import { SmtpReceiver } from './support/smtp.js';

// The SDK's default credential chain reads these; the stand-in checks only the signature's shape.
process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTMARKETPLACE';
process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-key';

const DAY = 86_400_000;
const PRODUCT_CODE = 'prodtest0001';
const silent = pino({ level: 'silent' });

describe.each(DIALECTS)('AWS Marketplace on %s', (dialect) => {
  let aws: FakeAws;
  let tc: TestCenter;
  let lm: Daemon;
  let lmDir: string;
  let smtp: SmtpReceiver;
  const buyer: Buyer = { customerIdentifier: 'CUSTaaaa0001', accountId: '111122223333', productCode: PRODUCT_CODE };
  let licenseId = '';
  let contractId = '';

  const entitle = (who: Buyer, query: number, storage: number, expiresAt: number) =>
    aws.entitlements.set(`${who.productCode}/${who.customerIdentifier}`, [
      { dimension: 'query_nodes', quantity: query, expiresAt },
      { dimension: 'storage_nodes', quantity: storage, expiresAt },
    ]);
  /** The token of the newest `path` link mailed to `to`, as the SMTP server received it. */
  const linkIn = async (to: string, path: string) => {
    await tc.center.services.mail.deliver();
    return waitFor(`the ${path} mail to ${to}`, async () => smtp.linkFor(to, path), 10_000);
  };
  const register = (token: string, accept = 'application/json') =>
    fetch(`${tc.center.url}/v1/marketplace/aws/register`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
      body: new URLSearchParams({ 'x-amzn-marketplace-token': token }).toString(),
    });
  const deliver = async (message: SnsDelivery, type = message.Type!) => {
    const response = await fetch(`${tc.center.url}/v1/marketplace/aws/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': type, 'x-amz-sns-message-id': message.MessageId! },
      body: JSON.stringify(message),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const license = () => tc.center.services.db.selectFrom('licenses').selectAll().where('id', '=', licenseId).executeTakeFirstOrThrow();
  const count = async (table: 'customers' | 'contracts' | 'marketplace_messages') =>
    Number(
      (
        await tc.center.services.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const lmPost = async (path: string, body: unknown) =>
    (await (
      await fetch(`${lm.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${lm.services.adminToken}` },
        body: JSON.stringify(body),
      })
    ).json()) as any;

  beforeAll(async () => {
    aws = await new FakeAws().start();
    smtp = new SmtpReceiver();
    await smtp.start();
    tc = await startTestCenter(dialect, {
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      TESSERA_AWS_ENDPOINT: aws.url,
      TESSERA_AWS_MARKETPLACE_PRODUCTS: JSON.stringify({
        [PRODUCT_CODE]: { product: 'graphdb', dimensions: { query_nodes: 'query', storage_nodes: 'storage' } },
      }),
      TESSERA_SNS_CERT_URL_PATTERN: `^${aws.url.replace(/[.]/g, '\\.')}/`,
      // One notification below is signed the SHA1 way, which is accepted only when allowed.
      TESSERA_SNS_ALLOW_SHA1: 'true',
    });
    const product = await tc.center.services.catalogue.createProduct(
      { slug: 'graphdb', name: 'Graph DB', roles: ['query', 'storage'], limits: [], features: [] },
      'usr_test',
    );
    expect(product.ok).toBe(true);
    lmDir = mkdtempSync(join(tmpdir(), 'tessera-mp-lm-'));
    writeFileSync(join(lmDir, 'trust.json'), await (await fetch(`${tc.center.url}/v1/trust-bundle`)).text());
    lm = await startDaemon({
      logger: silent,
      fingerprint: 'marketplace-test-host',
      config: {
        name: 'lm-marketplace',
        host: '127.0.0.1',
        port: 0,
        timeoutMs: 5000,
        dataPath: join(lmDir, 'data'),
        trustPath: join(lmDir, 'trust.json'),
        center: { url: tc.center.url },
        syncIntervalMinutes: 60,
        leaseTtlSeconds: 60,
        fingerprint: 'host',
        clockToleranceMinutes: 10,
        notify: { mail: null },
        log: { mode: 'console', path: null, level: 'warn', keepDays: 7 },
      },
    });
  });
  afterAll(async () => {
    await lm?.close();
    await tc?.close();
    await aws?.close();
    await smtp?.stop();
    if (lmDir) rmSync(lmDir, { recursive: true, force: true });
  });

  it('turns a purchase into a customer, contract and license: redirect, setup mail, account, license', async () => {
    aws.tokens.set('reg-token-1', buyer);
    entitle(buyer, 2, 3, Date.now() + 365 * DAY);
    // An installation package of the product, for the purchase mail to list.
    const uploaded = await tc.center.services.packages.upload(
      { product: 'graphdb', version: '2.4.1', platform: 'linux-amd64', filename: 'graphdb-2.4.1.tgz' },
      Readable.from([Buffer.from('graphdb 2.4.1')]),
      null,
      'usr_test',
    );
    if (!uploaded.ok) throw new Error(uploaded.detail);
    const answer = await register('reg-token-1');
    expect(answer.status).toBe(303);
    const location = answer.headers.get('location')!;
    expect(location.startsWith(`${tc.center.services.config.publicUrl}/marketplace/welcome#token=`)).toBe(true);
    expect(location).toMatch(/#token=[A-Za-z0-9_-]{43}$/);
    // The official SDK spoke AWS JSON 1.1, SigV4-signed, to both APIs.
    expect(aws.calls.map((c) => c.target)).toEqual(['AWSMPMeteringService.ResolveCustomer', 'AWSMPEntitlementService.GetEntitlements']);
    expect(aws.calls.every((c) => c.contentType === 'application/x-amz-json-1.1')).toBe(true);
    expect(aws.calls[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTESTMARKETPLACE\/\d{8}\/us-east-1\/aws-marketplace\//);
    expect(aws.calls[1]!.body).toEqual({ ProductCode: PRODUCT_CODE, Filter: { CUSTOMER_IDENTIFIER: [buyer.customerIdentifier] } });

    const welcome = location.split('#token=')[1]!;
    const anonymous = new Client(tc.center.url);
    const mailed = await anonymous.post('/v1/marketplace/aws/setup-link', { token: welcome, email: 'Buyer@Acme.example' });
    expect(mailed.status).toBe(202);
    expect((await anonymous.post('/v1/marketplace/aws/setup-link', { token: welcome, email: 'x@acme.example' })).body.error.code).toBe(
      'BAD_REQUEST',
    );
    const email = 'buyer@acme.example';
    const registered = await anonymous.post('/v1/auth/register', {
      token: await linkIn(email, 'setup'),
      name: 'Buyer',
      password: PASSWORD,
    });
    expect(registered.status).toBe(201);
    await anonymous.post('/v1/auth/activate', { token: await linkIn(email, 'activate') });
    expect((await anonymous.post('/v1/auth/login', { email, password: PASSWORD })).status).toBe(200);
    const cards = await anonymous.get('/v1/licenses');
    expect(cards.body.items).toHaveLength(1);
    expect(cards.body.items[0]).toMatchObject({ product: { slug: 'graphdb' }, nodes: { query: 2, storage: 3 }, mode: 'online' });
    // Neither AWS's registration token nor the welcome secret reaches the log.
    expect(tc.log.join('\n')).not.toMatch(new RegExp(`reg-token-1|${welcome}`));
    licenseId = cards.body.items[0].id;
    contractId = cards.body.items[0].contractId;
    // The setup mail is the buyer's purchase mail: it lists the product's packages and where to download them.
    const setupMail = smtp.received.find((mail) => mail.to.includes(email) && mail.subject.startsWith('Set up your'));
    if (!setupMail) throw new Error(`no setup mail to ${email} among ${smtp.received.length} received`);
    expect(setupMail.text.replace(/\r\n/g, '\n')).toContain(`${tc.center.services.config.publicUrl}/licenses/${licenseId}#downloads`);
    expect(setupMail.text.replace(/\r\n/g, '\n')).toContain(
      `- graphdb-2.4.1.tgz: version 2.4.1, linux-amd64, 13 bytes\n  sha256 ${uploaded.value.sha256}`,
    );
    const contract = await tc.center.services.contracts.get(contractId);
    expect(contract.ok && contract.value).toMatchObject({
      source: 'marketplace',
      externalId: `${buyer.customerIdentifier}/${PRODUCT_CODE}`,
      term: '1y',
      status: 'active',
    });
  });

  it('finds the same customer and contract when the buyer registers again, with the same token or a new one', async () => {
    const before = { customers: await count('customers'), contracts: await count('contracts') };
    aws.tokens.set('reg-token-2', buyer);
    const again = await Promise.all([register('reg-token-1'), register('reg-token-2')]);
    expect(again.map((a) => a.status)).toEqual([303, 303]);
    expect({ customers: await count('customers'), contracts: await count('contracts') }).toEqual(before);
  });

  it('answers bad, expired and missing tokens with BAD_REQUEST, a page for browsers, never a stack', async () => {
    const before = await count('customers');
    const bad = await register('not-a-token');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/InvalidTokenException/),
    });
    aws.expiredTokens.add('old-token');
    const page = await register('old-token', 'text/html,application/xhtml+xml');
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('BAD_REQUEST');
    expect(html).toMatch(/expired/);
    expect(html).not.toMatch(/\bat .*\.(ts|js):\d+/);
    const missing = await fetch(`${tc.center.url}/v1/marketplace/aws/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'other=1',
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error.code).toBe('BAD_REQUEST');
    expect(await count('customers')).toBe(before);
  });

  it('confirms an SNS subscription by visiting SubscribeURL once, and only when the signature verifies', async () => {
    const forged = { ...aws.subscriptionConfirmation(), SubscribeURL: `${aws.url}/?Action=ConfirmSubscription&Token=forged` };
    expect((await deliver(forged)).status).toBe(400);
    expect(aws.subscribeVisits).toBe(0);
    const confirmation = aws.subscriptionConfirmation();
    expect(await deliver(confirmation)).toEqual({ status: 200, body: { outcome: 'confirmed' } });
    expect(aws.subscribeVisits).toBe(1);
    expect(await deliver(confirmation)).toEqual({ status: 200, body: { outcome: 'duplicate' } });
    expect(aws.subscribeVisits).toBe(1);
  });

  it('applies renewal and expansion notifications once each; a real License Manager syncing online picks them up', async () => {
    const customerId = (await license()).customer_id;
    expect((await tc.center.services.licenses.bindLmid(licenseId, lm.lmid, { customerId }, 'usr_test')).ok).toBe(true);
    const key = await tc.center.services.licenses.key(licenseId, { customerId });
    if (!key.ok) throw new Error(key.detail);
    const loaded = await lmPost('/v1/admin/load', { key: key.value.key });
    expect(loaded).toMatchObject({ status: 'Normal', mode: 'online', licenseId });

    const renewedTo = (await license()).expires_at + 365 * DAY;
    entitle(buyer, 2, 3, renewedTo);
    const renewal = aws.notification('entitlement-updated', buyer);
    expect(await deliver(renewal)).toEqual({ status: 200, body: { outcome: 'applied' } });
    const renewed = await lmPost('/v1/admin/sync', {});
    expect(renewed.changed).toBe(true);
    expect(renewed.info.serial).toBeGreaterThan(loaded.serial);
    expect(Date.parse(renewed.info.expiresAt)).toBe(renewedTo);

    entitle(buyer, 5, 3, renewedTo);
    const expansion = aws.notification('entitlement-updated', buyer, { version: '1' });
    expect(await deliver(expansion)).toEqual({ status: 200, body: { outcome: 'applied' } });
    const serial = (await license()).serial;
    // SNS delivers again: nothing changes, whether the stored state moved or not.
    entitle(buyer, 9, 9, renewedTo);
    expect(await deliver(expansion)).toEqual({ status: 200, body: { outcome: 'duplicate' } });
    expect(await deliver(renewal)).toEqual({ status: 200, body: { outcome: 'duplicate' } });
    expect((await license()).serial).toBe(serial);
    const expanded = await lmPost('/v1/admin/sync', {});
    expect(expanded.changed).toBe(true);
    expect(expanded.info.serial).toBe(serial);
    expect(expanded.info.nodes.query.total).toBe(5);
    expect(expanded.info.nodes.storage.total).toBe(3);
    entitle(buyer, 5, 3, renewedTo);
  });

  it('refuses forged notifications (bad signature, untrusted certificate URL or topic) and changes nothing', async () => {
    entitle(buyer, 50, 50, Date.now() + 900 * DAY);
    const before = { serial: (await license()).serial, messages: await count('marketplace_messages'), certFetches: aws.certFetches };
    const signed = aws.notification('entitlement-updated', buyer);
    const tampered = { ...signed, Message: signed.Message!.replace('entitlement-updated', 'unsubscribe-success') };
    expect(await deliver(tampered)).toMatchObject({ status: 400, body: { error: { code: 'SIGNATURE_INVALID' } } });
    const badSignature = { ...signed, Signature: Buffer.from('not the signature').toString('base64') };
    expect((await deliver(badSignature)).body.error.code).toBe('SIGNATURE_INVALID');
    const elsewhere = aws.notification('entitlement-updated', buyer, { certUrl: 'https://sns.evil.example/cert.pem' });
    expect(await deliver(elsewhere)).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    // On the trusted address, but not an SNS certificate's path.
    const notACertificate = aws.notification('entitlement-updated', buyer, { certUrl: `${aws.url}/cert.pem` });
    expect(await deliver(notACertificate)).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    const otherTopic = aws.notification('entitlement-updated', buyer, {
      topic: 'arn:aws:sns:us-east-1:999999999999:aws-mp-entitlement-notification-x',
    });
    expect(await deliver(otherTopic)).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect(await deliver(signed, 'SubscriptionConfirmation')).toMatchObject({ status: 400 });
    expect({ serial: (await license()).serial, messages: await count('marketplace_messages') }).toEqual({
      serial: before.serial,
      messages: before.messages,
    });
    // The certificate was fetched once for the run and kept.
    expect(aws.certFetches).toBeLessThanOrEqual(1);
    entitle(buyer, 5, 3, (await license()).expires_at);
  });

  it('lets an unsubscribed contract end with its term, and leaves a failed subscription not activated', async () => {
    const expiresAt = (await license()).expires_at;
    expect(await deliver(aws.notification('unsubscribe-pending', buyer, { topic: SUBSCRIPTION_TOPIC }))).toEqual({
      status: 200,
      body: { outcome: 'unchanged' },
    });
    expect(await deliver(aws.notification('unsubscribe-success', buyer, { topic: SUBSCRIPTION_TOPIC }))).toEqual({
      status: 200,
      body: { outcome: 'applied' },
    });
    const ending = await tc.center.services.contracts.get(contractId);
    expect(ending.ok && ending.value.status).toBe('ending');
    expect((await license()).expires_at).toBe(expiresAt);
    expect((await license()).status).toBe('active');

    const failing: Buyer = { customerIdentifier: 'CUSTbbbb0002', accountId: '444455556666', productCode: PRODUCT_CODE };
    aws.tokens.set('reg-token-3', failing);
    entitle(failing, 1, 1, Date.now() + 30 * DAY);
    expect((await register('reg-token-3')).status).toBe(303);
    expect(await deliver(aws.notification('subscribe-fail', failing, { topic: SUBSCRIPTION_TOPIC }))).toEqual({
      status: 200,
      body: { outcome: 'applied' },
    });
    const row = await tc.center.services.db
      .selectFrom('contracts')
      .innerJoin('licenses', 'licenses.contract_id', 'contracts.id')
      .select(['contracts.status as contract', 'contracts.term', 'licenses.status as license'])
      .where('contracts.external_id', '=', `${failing.customerIdentifier}/${PRODUCT_CODE}`)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ contract: 'ended', term: '1m', license: 'suspended' });
  });

  it('limits registrations per address, so a script cannot make the License Center hammer AWS', async () => {
    const calls = aws.calls.length;
    let status = 0;
    for (let i = 0; i < 40 && status !== 429; i++) status = (await register(`junk-${i}`)).status;
    expect(status).toBe(429);
    const limited = await register('junk-last');
    expect(((await limited.json()) as any).error.code).toBe('RATE_LIMITED');
    expect(aws.calls.length - calls).toBeLessThan(30);
  });
});
