/**
 * A local stand-in for the AWS Marketplace side, speaking the real wire protocols on 127.0.0.1: AWS JSON 1.1
 * (POST /, X-Amz-Target AWSMPMeteringService.ResolveCustomer and AWSMPEntitlementService.GetEntitlements,
 * SigV4-signed by the official SDK clients) and Amazon SNS HTTP deliveries signed with a test RSA key whose
 * self-signed certificate (made by openssl for this run) it serves, plus a SubscribeURL that counts its visits.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createSign, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MARKETPLACE_TOPIC = 'arn:aws:sns:us-east-1:287250355862:aws-mp-entitlement-notification-prodtest0001';
export const SUBSCRIPTION_TOPIC = 'arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-prodtest0001';

/** Named as SNS names its certificates: SimpleNotificationService-<hex>.pem. */
const CERT_FILE = 'SimpleNotificationService-0123456789abcdef0123456789abcdef.pem';

export interface Buyer {
  customerIdentifier: string;
  accountId: string;
  productCode: string;
}

export interface FakeEntitlement {
  dimension: string;
  quantity: number;
  expiresAt: number;
}

export interface ApiCall {
  target: string;
  contentType: string;
  authorization: string;
  body: any;
}

export interface SnsDelivery {
  [field: string]: string | undefined;
}

const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=(\w+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/;

export class FakeAws {
  readonly tokens = new Map<string, Buyer>();
  readonly expiredTokens = new Set<string>();
  /** By `${productCode}/${customerIdentifier}`. */
  readonly entitlements = new Map<string, FakeEntitlement[]>();
  readonly calls: ApiCall[] = [];
  subscribeVisits = 0;
  certFetches = 0;
  url = '';
  private readonly server = createServer((request, response) => void this.handle(request, response));
  private readonly key: KeyObject;
  private readonly certPem: string;

  constructor() {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-fake-sns-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          'key.pem',
          '-out',
          'cert.pem',
          '-days',
          '3',
          '-subj',
          '/CN=sns.test.local',
        ],
        { cwd: dir, stdio: 'ignore' },
      );
      this.key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
      this.certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this;
  }

  get certUrl(): string {
    return `${this.url}/${CERT_FILE}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** An SNS Notification carrying a Marketplace message, signed with the test key. */
  notification(action: string, buyer: Buyer, options: { topic?: string; version?: '1' | '2'; certUrl?: string } = {}): SnsDelivery {
    const message = JSON.stringify({ action, 'customer-identifier': buyer.customerIdentifier, 'product-code': buyer.productCode });
    return this.sign(
      {
        Type: 'Notification',
        MessageId: randomUUID(),
        TopicArn: options.topic ?? MARKETPLACE_TOPIC,
        Message: message,
        Timestamp: new Date().toISOString(),
        SignatureVersion: options.version ?? '2',
        SigningCertURL: options.certUrl ?? this.certUrl,
        UnsubscribeURL: `${this.url}/?Action=Unsubscribe`,
      },
      ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
    );
  }

  subscriptionConfirmation(options: { topic?: string; version?: '1' | '2' } = {}): SnsDelivery {
    const topic = options.topic ?? MARKETPLACE_TOPIC;
    const token = randomUUID().replaceAll('-', '');
    return this.sign(
      {
        Type: 'SubscriptionConfirmation',
        MessageId: randomUUID(),
        Token: token,
        TopicArn: topic,
        Message: `You have chosen to subscribe to the topic ${topic}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
        SubscribeURL: `${this.url}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topic)}&Token=${token}`,
        Timestamp: new Date().toISOString(),
        SignatureVersion: options.version ?? '2',
        SigningCertURL: this.certUrl,
      },
      ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
    );
  }

  private sign(fields: SnsDelivery, signed: string[]): SnsDelivery {
    let text = '';
    for (const name of signed) if (fields[name] !== undefined) text += `${name}\n${fields[name]}\n`;
    const signature = createSign(fields.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256')
      .update(text, 'utf8')
      .sign(this.key, 'base64');
    return { ...fields, Signature: signature };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', this.url);
    if (request.method === 'GET' && url.pathname === `/${CERT_FILE}`) {
      this.certFetches++;
      response.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(this.certPem);
      return;
    }
    if (request.method === 'GET' && url.searchParams.get('Action') === 'ConfirmSubscription') {
      this.subscribeVisits++;
      response
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          '<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn:test</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>',
        );
      return;
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    const contentType = String(request.headers['content-type'] ?? '');
    const authorization = String(request.headers.authorization ?? '');
    let body: any = null;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return this.error(response, 400, 'SerializationException', 'The body is not JSON.');
    }
    this.calls.push({ target, contentType, authorization, body });
    if (request.method !== 'POST' || contentType !== 'application/x-amz-json-1.1')
      return this.error(response, 400, 'UnknownOperationException', 'Not AWS JSON 1.1.');
    const signed = SIGV4.exec(authorization);
    if (!signed || signed[3] !== 'aws-marketplace' || !signed[4]!.split(';').includes('x-amz-target'))
      return this.error(response, 403, 'IncompleteSignatureException', 'The request is not signed with SigV4 for aws-marketplace.');
    if (target === 'AWSMPMeteringService.ResolveCustomer') {
      const token = String(body.RegistrationToken ?? '');
      if (this.expiredTokens.has(token)) return this.error(response, 400, 'ExpiredTokenException', 'Registration token is expired.');
      const buyer = this.tokens.get(token);
      if (!buyer) return this.error(response, 400, 'InvalidTokenException', 'Registration token is invalid.');
      return this.json(response, {
        CustomerIdentifier: buyer.customerIdentifier,
        CustomerAWSAccountId: buyer.accountId,
        ProductCode: buyer.productCode,
      });
    }
    if (target === 'AWSMPEntitlementService.GetEntitlements') {
      const customer = body.Filter?.CUSTOMER_IDENTIFIER?.[0];
      if (typeof body.ProductCode !== 'string' || typeof customer !== 'string')
        return this.error(response, 400, 'ValidationException', 'ProductCode and a CUSTOMER_IDENTIFIER filter are required.');
      const entitlements = this.entitlements.get(`${body.ProductCode}/${customer}`) ?? [];
      return this.json(response, {
        Entitlements: entitlements.map((e) => ({
          CustomerIdentifier: customer,
          Dimension: e.dimension,
          ProductCode: body.ProductCode,
          Value: { IntegerValue: e.quantity },
          // AWS JSON 1.1 timestamps are epoch seconds.
          ExpirationDate: e.expiresAt / 1000,
        })),
      });
    }
    return this.error(response, 400, 'UnknownOperationException', `Unknown target ${target}.`);
  }

  private json(response: ServerResponse, value: unknown): void {
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() }).end(JSON.stringify(value));
  }

  private error(response: ServerResponse, status: number, type: string, message: string): void {
    response
      .writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() })
      .end(JSON.stringify({ __type: type, message }));
  }
}
