/**
 * AWS Marketplace SaaS contracts, the buyer's side: the browser POSTs a registration token; ResolveCustomer names
 * the buyer and product, GetEntitlements the contract's dimensions and end; the LC customer (one per buyer), the
 * contract (one per buyer and product code) and its license are made in one transaction, and a one-day welcome
 * link lets the buyer name the address the "set up your account" mail goes to. Registering again with a new token
 * finds the same customer and contract. Notifications are marketplace-notifications.ts's.
 */
import type { Kysely, Transaction } from 'kysely';
import { DAY_MS, fail, ok } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { AwsMarketplaceConfig, MarketplaceProduct } from '../../config.js';
import type { Database } from '../../db/schema.js';
import { newId } from '../../ids.js';
import type { Accounts } from '../accounts/accounts.js';
import type { AuditLog } from '../audit/audit.js';
import { Refusal } from '../refusal.js';
import type { Contracts } from '../contracts/contracts.js';
import { addMonths } from '../licenses/license-rules.js';
import { packagesMailSection } from '../packages/package-mail.js';
import type { Entitlement, MarketplaceApi } from './marketplace-aws.js';
import { newSecret, secretHash } from '../accounts/sessions.js';

export const MARKETPLACE_ACTOR = 'marketplace:aws';
export const WELCOME_PATH = '/marketplace/welcome';
const WELCOME_MS = DAY_MS;
/** Up to this long a contract without a configured term is taken as a monthly one. */
const MONTHLY_UP_TO_MS = 45 * DAY_MS;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{1,60}$/;

export interface Registration {
  customerId: string;
  contractId: string;
  licenseId: string;
  /** false: this buyer had registered this product before (the same customer and contract). */
  created: boolean;
  /** The portal page where the buyer names their email; the secret is in the fragment. */
  welcomeLink: string;
}

/** What a buyer's entitlements grant: nodes per role and the end of the contract (null: AWS named none). */
export interface Terms {
  quantities: Record<string, number>;
  expiresAt: number | null;
}

export interface MarketplaceOptions {
  db: Kysely<Database>;
  api: MarketplaceApi;
  contracts: Contracts;
  accounts: Accounts;
  audit: AuditLog;
  clock: Clock;
  config: AwsMarketplaceConfig;
  publicUrl: string;
}

export class Marketplace {
  constructor(private readonly options: MarketplaceOptions) {}

  /** The contract id of a buyer's product: the customer identifier and product code. */
  static externalId(customerIdentifier: string, productCode: string): string {
    return `${customerIdentifier}/${productCode}`;
  }

  async register(registrationToken: string): Promise<Result<Registration>> {
    const { api, config } = this.options;
    const buyer = await api.resolveCustomer(registrationToken);
    if (!buyer.ok) return buyer;
    const { customerIdentifier, productCode } = buyer.value;
    const mapping = config.products[productCode];
    if (!mapping)
      return fail(
        'BAD_REQUEST',
        `AWS product ${productCode} is not sold here (TESSERA_AWS_MARKETPLACE_PRODUCTS names no such product code).`,
      );
    const product = await this.productOf(mapping);
    if (!product.ok) return product;
    const entitlements = await api.getEntitlements(productCode, customerIdentifier);
    if (!entitlements.ok) return entitlements;
    const terms = termsOf(entitlements.value, mapping);
    if (Object.values(terms.quantities).every((n) => n === 0)) {
      return fail(
        'BAD_REQUEST',
        'AWS Marketplace shows no active contract for this subscription yet; wait a few minutes, then choose "Set up your account" in AWS Marketplace again.',
      );
    }
    const now = this.options.clock.now();
    const term = mapping.term ?? (terms.expiresAt !== null && terms.expiresAt - now <= MONTHLY_UP_TO_MS ? '1m' : '1y');
    const endsAt = terms.expiresAt ?? addMonths(now, term === '1m' ? 1 : 12);
    const input = { ...buyer.value, productId: product.value, term, quantities: terms.quantities, endsAt } as const;
    // Two registrations of one buyer at once: the loser's insert hits a unique key, and its second try finds the winner's rows.
    for (let attempt = 1; ; attempt++) {
      try {
        return ok(await this.options.db.transaction().execute((trx) => this.link(input, trx)));
      } catch (error) {
        if (error instanceof Refusal) return error.failure;
        if (attempt >= 2 || !isUniqueViolation(error)) throw error;
      }
    }
  }

  /** Mails the "set up your account" link for the welcome link's customer to `email`; the welcome link works once. */
  async mailSetupLink(welcomeToken: string, email: string): Promise<Result<{ email: string }>> {
    const address = email.trim().toLowerCase();
    if (!EMAIL.test(address)) return fail('BAD_REQUEST', 'The email must be an address like name@example.com.');
    const now = this.options.clock.now();
    const used = await this.options.db
      .updateTable('tokens')
      .set({ used_at: now, email: address })
      .where('hash', '=', secretHash(welcomeToken))
      .where('kind', '=', 'marketplace')
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('customer_id')
      .executeTakeFirst();
    if (!used?.customer_id) {
      return fail(
        'BAD_REQUEST',
        'This welcome link is not valid, was used already or has expired: open the product in AWS Marketplace and choose "Set up your account" again.',
      );
    }
    // The buyer's purchase mail: it lists the installation packages of what they bought.
    const licenses = await this.options.db
      .selectFrom('licenses')
      .innerJoin('contracts', 'contracts.id', 'licenses.contract_id')
      .select('licenses.id')
      .where('licenses.customer_id', '=', used.customer_id)
      .where('contracts.source', '=', 'marketplace')
      .where('licenses.status', '!=', 'ended')
      .orderBy('licenses.created_at')
      .execute();
    let packages = '';
    for (const { id } of licenses) packages += await packagesMailSection(this.options.db, id, this.options.publicUrl);
    const invited = await this.options.accounts.inviteCustomer(used.customer_id, address, MARKETPLACE_ACTOR, packages);
    return invited.ok ? ok({ email: address }) : invited;
  }

  /** The configured LC product (by slug or id) as an id. */
  async productOf(mapping: MarketplaceProduct): Promise<Result<string>> {
    const column = mapping.product.startsWith('prd_') ? 'id' : 'slug';
    const row = await this.options.db.selectFrom('products').select('id').where(column, '=', mapping.product).executeTakeFirst();
    return row
      ? ok(row.id)
      : fail(
          'BAD_REQUEST',
          `The product ${mapping.product} named in TESSERA_AWS_MARKETPLACE_PRODUCTS does not exist in this License Center.`,
        );
  }

  private async link(
    input: {
      customerIdentifier: string;
      awsAccountId: string | null;
      productCode: string;
      productId: string;
      term: '1m' | '1y';
      quantities: Record<string, number>;
      endsAt: number;
    },
    trx: Transaction<Database>,
  ): Promise<Registration> {
    const { audit, contracts, clock, publicUrl } = this.options;
    const now = clock.now();
    const buyer = await trx
      .selectFrom('marketplace_buyers')
      .select('customer_id')
      .where('customer_identifier', '=', input.customerIdentifier)
      .executeTakeFirst();
    let customerId = buyer?.customer_id;
    let newCustomer: { name: string } | null = null;
    if (!customerId) {
      customerId = newId('cus_');
      const name = input.awsAccountId ? `AWS account ${input.awsAccountId}` : `AWS Marketplace buyer ${input.customerIdentifier}`;
      await trx.insertInto('customers').values({ id: customerId, name, created_at: now }).execute();
      await trx
        .insertInto('marketplace_buyers')
        .values({
          customer_identifier: input.customerIdentifier,
          aws_account_id: input.awsAccountId,
          customer_id: customerId,
          created_at: now,
        })
        .execute();
      newCustomer = { name };
    }
    const externalId = Marketplace.externalId(input.customerIdentifier, input.productCode);
    const existing = await trx
      .selectFrom('contracts')
      .select('id')
      .where('source', '=', 'marketplace')
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    let contractId = existing?.id;
    let licenseId: string | undefined;
    if (contractId) {
      const license = await trx
        .selectFrom('licenses')
        .select('id')
        .where('contract_id', '=', contractId)
        .orderBy('created_at')
        .executeTakeFirst();
      licenseId = license?.id;
    } else {
      const created = await contracts.create(
        { customerId, productId: input.productId, term: input.term, autoRenew: false, quantities: input.quantities, mode: 'online' },
        MARKETPLACE_ACTOR,
        { source: 'marketplace', externalId, endsAt: input.endsAt },
        trx,
      );
      if (!created.ok) throw new Refusal(created);
      contractId = created.value.contract.id;
      licenseId = created.value.license.id;
    }
    if (!licenseId) throw new Refusal(fail('INTERNAL', `Contract ${contractId} has no license.`));
    // Audited after the license is made, not when the customer row is: an append holds the audit log to the commit,
    // and making a license waits on its product's row, which a change of the product's outage grace holds while it
    // waits on the log (Catalogue.setOutageGrace).
    if (newCustomer) {
      await audit.append(
        {
          actor: MARKETPLACE_ACTOR,
          action: 'customer.created',
          subject: customerId,
          data: { name: newCustomer.name, customerIdentifier: input.customerIdentifier },
        },
        trx,
      );
    }
    const secret = newSecret();
    const tokenId = newId('tok_');
    await trx
      .insertInto('tokens')
      .values({
        id: tokenId,
        hash: secretHash(secret),
        kind: 'marketplace',
        user_id: null,
        customer_id: customerId,
        email: null,
        label: null,
        expires_at: now + WELCOME_MS,
        used_at: null,
        created_at: now,
      })
      .execute();
    await audit.append(
      {
        actor: MARKETPLACE_ACTOR,
        action: 'marketplace.registered',
        subject: contractId,
        data: { customerId, licenseId, externalId, created: !existing, tokenId },
      },
      trx,
    );
    // In the fragment: browsers never send it, so the secret stays out of logs and Referer headers.
    return { customerId, contractId, licenseId, created: !existing, welcomeLink: `${publicUrl}${WELCOME_PATH}#token=${secret}` };
  }
}

/** Nodes per mapped role (every mapped role named, 0 when not bought) and the latest expiry of those entitlements. */
export function termsOf(entitlements: Entitlement[], mapping: MarketplaceProduct): Terms {
  const quantities: Record<string, number> = {};
  for (const role of Object.values(mapping.dimensions)) quantities[role] = 0;
  let expiresAt: number | null = null;
  for (const entitlement of entitlements) {
    const role = mapping.dimensions[entitlement.dimension];
    if (role === undefined || entitlement.quantity === null) continue;
    quantities[role] = (quantities[role] ?? 0) + Math.max(0, Math.trunc(entitlement.quantity));
    if (entitlement.expiresAt !== null) expiresAt = Math.max(expiresAt ?? 0, entitlement.expiresAt);
  }
  return { quantities, expiresAt };
}

/** A unique key refused the insert (SQLite's constraint error, PostgreSQL's 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
