/**
 * The two AWS Marketplace APIs a SaaS contract product calls, through the official AWS SDK v3 clients:
 * ResolveCustomer (Marketplace Metering) turns the registration token a buyer's browser POSTs into the buyer's
 * customer identifier and product code; GetEntitlements (Marketplace Entitlement Service) reads what the buyer's
 * contract grants now. Credentials come from the SDK's default chain; region and endpoint from config.ts.
 */
import { MarketplaceMeteringClient, ResolveCustomerCommand } from '@aws-sdk/client-marketplace-metering';
import { GetEntitlementsCommand, MarketplaceEntitlementServiceClient } from '@aws-sdk/client-marketplace-entitlement-service';
import { fail, ok } from '@tessera/core';
import type { Result } from '@tessera/core';

export interface MarketplaceBuyer {
  /** CustomerIdentifier, or for integrations AWS no longer gives one, `aws:` and the buyer's account id. */
  customerIdentifier: string;
  awsAccountId: string | null;
  productCode: string;
}

export interface Entitlement {
  dimension: string;
  /** IntegerValue (a contract's quantity); null for other value kinds. */
  quantity: number | null;
  /** Epoch milliseconds; null when AWS gives none. */
  expiresAt: number | null;
}

/** What the marketplace service needs from AWS; the SDK one below, or anything speaking the same protocol. */
export interface MarketplaceApi {
  resolveCustomer(registrationToken: string): Promise<Result<MarketplaceBuyer>>;
  getEntitlements(productCode: string, customerIdentifier: string): Promise<Result<Entitlement[]>>;
}

/** AWS errors that mean the buyer's token is not one AWS can resolve (as opposed to AWS being unreachable). */
const TOKEN_ERRORS = new Set(['InvalidTokenException', 'ExpiredTokenException', 'InvalidCustomerIdentifierException']);
const MAX_PAGES = 20;

export class AwsMarketplaceApi implements MarketplaceApi {
  private clients: { metering: MarketplaceMeteringClient; entitlements: MarketplaceEntitlementServiceClient } | null = null;

  constructor(private readonly options: { region: string; endpoint: string | null }) {}

  /** Made on first use, so a License Center that sells nothing on AWS never loads AWS credentials. */
  private get sdk() {
    if (!this.clients) {
      const common = { region: this.options.region, maxAttempts: 3, ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}) };
      this.clients = { metering: new MarketplaceMeteringClient(common), entitlements: new MarketplaceEntitlementServiceClient(common) };
    }
    return this.clients;
  }

  async resolveCustomer(registrationToken: string): Promise<Result<MarketplaceBuyer>> {
    try {
      const answer = await this.sdk.metering.send(new ResolveCustomerCommand({ RegistrationToken: registrationToken }));
      const accountId = answer.CustomerAWSAccountId ?? null;
      const customerIdentifier = answer.CustomerIdentifier ?? (accountId ? `aws:${accountId}` : null);
      if (!customerIdentifier || !answer.ProductCode)
        return fail('AWS_UNREACHABLE', 'AWS Marketplace resolved the token without a customer or product.');
      return ok({ customerIdentifier, awsAccountId: accountId, productCode: answer.ProductCode });
    } catch (error) {
      return failureOf(error, 'ResolveCustomer');
    }
  }

  async getEntitlements(productCode: string, customerIdentifier: string): Promise<Result<Entitlement[]>> {
    const byAccount = customerIdentifier.startsWith('aws:');
    const filter = byAccount ? { CUSTOMER_AWS_ACCOUNT_ID: [customerIdentifier.slice(4)] } : { CUSTOMER_IDENTIFIER: [customerIdentifier] };
    const entitlements: Entitlement[] = [];
    let nextToken: string | undefined;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const answer = await this.sdk.entitlements.send(
          new GetEntitlementsCommand({ ProductCode: productCode, Filter: filter, ...(nextToken ? { NextToken: nextToken } : {}) }),
        );
        for (const e of answer.Entitlements ?? []) {
          if (!e.Dimension) continue;
          entitlements.push({
            dimension: e.Dimension,
            quantity: typeof e.Value?.IntegerValue === 'number' ? e.Value.IntegerValue : null,
            expiresAt: e.ExpirationDate ? e.ExpirationDate.getTime() : null,
          });
        }
        nextToken = answer.NextToken;
        if (!nextToken) break;
      }
      return ok(entitlements);
    } catch (error) {
      return failureOf(error, 'GetEntitlements');
    }
  }
}

function failureOf(error: unknown, operation: string): Result<never> {
  const name = (error as { name?: string }).name ?? 'Error';
  if (TOKEN_ERRORS.has(name)) {
    return fail(
      'BAD_REQUEST',
      `AWS Marketplace did not accept the registration token (${name}): it may have expired or been cut. Open the product in AWS Marketplace and choose "Set up your account" again.`,
    );
  }
  // AWS unreachable, throttled, or refusing our credentials: the buyer can do nothing about it but try later.
  return fail('AWS_UNREACHABLE', `AWS Marketplace ${operation} failed (${name}); try again in a few minutes.`);
}
