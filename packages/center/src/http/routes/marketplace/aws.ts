/**
 * AWS Marketplace (/v1/marketplace/aws): the registration form POST a buyer's browser makes from AWS Marketplace
 * (x-amzn-marketplace-token, form-encoded) answered with a redirect to the portal's welcome page; the welcome
 * page's request for the "set up your account" mail; and the SNS deliveries of Marketplace notifications (JSON
 * sent as text/plain). None needs a login: the token, the welcome secret and the SNS signature are the proof.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, refuse as refusal, valueOf } from '@tessera/http';
import { escapeHtml, fail } from '@tessera/core';
import type { Failure } from '@tessera/core';
import { SNS_FIELDS } from '../../../services/marketplace/sns-messages.js';
import type { SnsMessage } from '../../../services/marketplace/sns-messages.js';
import { body, object, text } from '../../route-kit.js';
import type { Marketplace } from '../../../services/marketplace/marketplace.js';
import type { MarketplaceNotifications } from '../../../services/marketplace/marketplace-notifications.js';
import type { Throttle } from '../../../services/accounts/throttle.js';
import { record, ref } from '../../schemas.js';

const TAGS = ['AWS Marketplace'];
const TOKEN_FIELD = 'x-amzn-marketplace-token';
/** Registrations and the welcome page's requests share one budget per address. */
const ADDRESS_BUDGET = { max: 30, windowMs: 15 * 60_000 };
const MAX_FORM_BYTES = 16 * 1024;

/** Fields AWS Marketplace posts with the registration (the offer type marks free trials); others are dropped. */
const FORM_FIELDS = [TOKEN_FIELD, 'x-amzn-marketplace-offer-type'];
const SNS_TYPES = ['SubscriptionConfirmation', 'Notification', 'UnsubscribeConfirmation'];

/** The services these routes use. */
export type MarketplaceRoutes = { marketplace: Marketplace; marketplaceNotifications: MarketplaceNotifications; throttle: Throttle };

export function marketplaceRoutes(app: FastifyInstance, services: MarketplaceRoutes): void {
  const { marketplace, marketplaceNotifications, throttle } = services;
  // Each registration calls AWS twice: a budget per address keeps a script from making LC hammer AWS.
  const withinBudget = (request: FastifyRequest) => throttle.allow(`marketplace-address:${request.ip}`, ADDRESS_BUDGET);
  const TOO_MANY = fail('RATE_LIMITED', 'Too many attempts from this address; wait 15 minutes and try again.');
  // Body parsers of these routes only (an encapsulated plugin): the registration is a form, SNS sends JSON as text/plain.
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: MAX_FORM_BYTES },
      (_request, raw, done) => {
        const form = new URLSearchParams(raw as string);
        done(null, Object.fromEntries(FORM_FIELDS.filter((name) => form.has(name)).map((name) => [name, form.get(name)!])));
      },
    );
    scope.removeContentTypeParser('text/plain');
    scope.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, raw, done) => {
      try {
        const parsed = JSON.parse(raw as string) as Record<string, unknown>;
        if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
        done(null, Object.fromEntries(SNS_FIELDS.filter((name) => name in parsed).map((name) => [name, parsed[name]])));
      } catch {
        done(refusal('BAD_REQUEST', 'The body must be an SNS message: a JSON object.'), undefined);
      }
    });

    scope.post<{ Body: Record<string, string> }>(
      '/v1/marketplace/aws/register',
      {
        schema: {
          // The only answer that is not an error is a redirect, so it is the operation's default answer; errors
          // are named too, or Fastify would serialize a 400 with the redirect's (empty) schema and answer 500.
          response: {
            '4xx': ref('ErrorBody'),
            '5xx': ref('ErrorBody'),
            default: {
              type: 'null',
              description:
                "303 See Other: to the portal's welcome page (Location), where the buyer names the address for the setup mail. A browser (Accept: text/html) is shown a short page on an error.",
              headers: { location: { type: 'string', description: "The portal's welcome page; the secret is in the fragment." } },
            },
          },
          tags: TAGS,
          summary:
            "AWS Marketplace's registration POST (form-encoded x-amzn-marketplace-token): makes or finds the buyer's customer, contract and license, then redirects (303) to the portal's welcome page.",
          consumes: ['application/x-www-form-urlencoded'],
          ...body(
            {
              [TOKEN_FIELD]: { ...text(4096), description: 'The registration token AWS Marketplace gives the browser.' },
              'x-amzn-marketplace-offer-type': { ...text(64), description: 'free-trial for a free trial.' },
            },
            [TOKEN_FIELD],
          ),
        },
      },
      async (request, reply) => {
        if (!(await withinBudget(request))) return refuse(request, reply, TOO_MANY);
        const registered = await marketplace.register(request.body[TOKEN_FIELD]!);
        if (!registered.ok) return refuse(request, reply, registered);
        request.log.info({ contractId: registered.value.contractId, created: registered.value.created }, 'AWS Marketplace registration');
        return reply.status(303).header('cache-control', 'no-store').header('location', registered.value.welcomeLink).send();
      },
    );

    scope.post<{ Body: SnsMessage }>(
      '/v1/marketplace/aws/notifications',
      {
        schema: {
          response: { 200: record({ outcome: { type: 'string', enum: ['applied', 'unchanged', 'ignored', 'confirmed', 'duplicate'] } }) },
          tags: TAGS,
          summary:
            'Amazon SNS deliveries of AWS Marketplace notifications (JSON sent as text/plain): signature verified, subscriptions confirmed, each message applied once.',
          consumes: ['text/plain', 'application/json'],
          headers: {
            type: 'object',
            properties: { 'x-amz-sns-message-type': { type: 'string', enum: SNS_TYPES } },
          },
          body: object(
            {
              Type: { type: 'string', enum: SNS_TYPES },
              MessageId: text(200),
              TopicArn: text(512),
              Message: { type: 'string', maxLength: 256 * 1024 },
              Timestamp: text(64),
              SignatureVersion: { type: 'string', enum: ['1', '2'] },
              Signature: text(4096),
              SigningCertURL: text(2048),
              Subject: { type: 'string', maxLength: 1024 },
              Token: text(2048),
              SubscribeURL: text(2048),
              UnsubscribeURL: text(2048),
            },
            ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'],
          ),
        },
      },
      async (request) => {
        const header = request.headers['x-amz-sns-message-type'];
        if (header !== undefined && header !== request.body.Type)
          throw refusal('BAD_REQUEST', 'x-amz-sns-message-type does not match the message Type.');
        return valueOf(await marketplaceNotifications.receive(request.body));
      },
    );
  });

  app.post<{ Body: { token: string; email: string } }>(
    '/v1/marketplace/aws/setup-link',
    {
      schema: {
        response: { 202: record({ email: { type: 'string' }, message: { type: 'string' } }) },
        tags: TAGS,
        summary:
          'The welcome page: mail the "set up your account" link for the buyer\'s customer to this email (the welcome token works once).',
        ...body({ token: text(200), email: text(320) }),
      },
    },
    async (request, reply) => {
      if (!(await withinBudget(request))) throw ApiError.of(TOO_MANY);
      const mailed = valueOf(await marketplace.mailSetupLink(request.body.token, request.body.email));
      reply.status(202);
      return { email: mailed.email, message: 'Check your mail for the link to set up your account.' };
    },
  );
}

/** A browser gets a short page (the buyer came from AWS Marketplace by a form POST); anything else the JSON error. */
function refuse(request: FastifyRequest, reply: FastifyReply, failure: Failure) {
  const error = ApiError.of(failure);
  const accept = String(request.headers.accept ?? '');
  if (!/text\/html/.test(accept)) throw error;
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>AWS Marketplace registration failed</title></head>
<body><h1>The registration did not go through</h1>
<p>${escapeHtml(error.message)}</p>
<p>Code <code>${error.code}</code>, request <code>${escapeHtml(request.id)}</code>.</p>
</body></html>
`;
  return reply
    .status(error.status)
    .header('content-security-policy', "default-src 'none'")
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(page);
}
