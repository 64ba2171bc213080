/**
 * AWS Marketplace's SNS notifications, each applied once: a message is verified (sns-messages.ts) and must come
 * from a trusted topic; its MessageId is inserted, under a unique key, in the transaction of its change, so a
 * message delivered again (SNS retries, two instances) changes nothing. A SubscriptionConfirmation is confirmed
 * by GETting its SubscribeURL. entitlement-updated re-reads GetEntitlements and applies the new end (a renewal)
 * and quantities (an expansion) through Licenses, raising the serial; unsubscribe-success lets the contract end
 * with its term; subscribe-fail leaves it not activated.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import { fail, ok } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { AwsMarketplaceConfig } from '../../config.js';
import type { ContractsTable, Database } from '../../db/schema.js';
import type { AuditLog } from '../audit/audit.js';
import type { Contracts } from '../contracts/contracts.js';
import type { Licenses } from '../licenses/licenses.js';
import { isUniqueViolation, Marketplace, MARKETPLACE_ACTOR, termsOf } from './marketplace.js';
import { Refusal } from '../refusal.js';
import type { MarketplaceApi } from './marketplace-aws.js';
import type { SnsMessage, SnsVerifier } from './sns-messages.js';

export type Outcome = 'applied' | 'unchanged' | 'ignored' | 'confirmed' | 'duplicate';

/** The Message of a Marketplace notification. */
interface MarketplaceEvent {
  action: string;
  customerIdentifier: string;
  productCode: string;
}

type ContractRow = Selectable<ContractsTable>;

export class MarketplaceNotifications {
  constructor(
    private readonly options: {
      db: Kysely<Database>;
      api: MarketplaceApi;
      verifier: SnsVerifier;
      contracts: Contracts;
      licenses: Licenses;
      audit: AuditLog;
      clock: Clock;
      config: AwsMarketplaceConfig;
    },
  ) {}

  async receive(message: SnsMessage): Promise<Result<{ outcome: Outcome }>> {
    const { verifier, config, db } = this.options;
    const verified = await verifier.verify(message);
    if (!verified.ok) return verified;
    if (!config.topicPattern.test(message.TopicArn))
      return fail('BAD_REQUEST', `Topic ${message.TopicArn} is not an AWS Marketplace topic trusted here (TESSERA_SNS_TOPIC_PATTERN).`);
    const seen = await db
      .selectFrom('marketplace_messages')
      .select('message_id')
      .where('message_id', '=', message.MessageId)
      .executeTakeFirst();
    if (seen) return ok({ outcome: 'duplicate' });
    if (message.Type === 'SubscriptionConfirmation') return this.confirm(message);
    if (message.Type !== 'Notification') return this.once(message, null, null, async () => 'ignored');
    const event = eventOf(message.Message);
    if (!event) return this.once(message, null, null, async () => 'ignored');
    const externalId = Marketplace.externalId(event.customerIdentifier, event.productCode);
    const contract = await db
      .selectFrom('contracts')
      .selectAll()
      .where('source', '=', 'marketplace')
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    // Not registered yet (or not sold here): registration reads the entitlements itself when the buyer arrives.
    if (!contract) return this.once(message, event.action, externalId, async () => 'ignored');
    switch (event.action) {
      case 'entitlement-updated':
        return this.entitlementUpdated(message, event, contract);
      case 'subscribe-success':
        return this.once(message, event.action, externalId, (trx) => this.setStatus(contract, 'active', event.action, trx));
      case 'unsubscribe-success':
        return this.once(message, event.action, externalId, (trx) => this.setStatus(contract, 'ending', event.action, trx));
      case 'subscribe-fail':
        return this.once(message, event.action, externalId, async (trx) => {
          await this.setStatus(contract, 'ended', event.action, trx);
          for (const licenseId of await this.licenseIdsOf(contract.id, trx)) {
            const suspended = await this.options.licenses.setStatus(
              licenseId,
              'suspended',
              'AWS Marketplace reported subscribe-fail: the subscription was not activated.',
              MARKETPLACE_ACTOR,
              trx,
            );
            if (!suspended.ok && suspended.code !== 'BAD_REQUEST') throw new Refusal(suspended);
          }
          return 'applied';
        });
      default:
        // unsubscribe-pending and anything newer: recorded in the audit log, nothing changes yet.
        return this.once(message, event.action, externalId, async (trx) => {
          await this.options.audit.append(
            { actor: MARKETPLACE_ACTOR, action: 'marketplace.notified', subject: contract.id, data: { action: event.action } },
            trx,
          );
          return 'unchanged';
        });
    }
  }

  /** Confirms the subscription by GETting SubscribeURL (only an SNS address) and records the message. */
  private async confirm(message: SnsMessage): Promise<Result<{ outcome: Outcome }>> {
    const url = message.SubscribeURL;
    if (!url || !this.options.verifier.trustedSubscribeUrl(url))
      return fail(
        'BAD_REQUEST',
        "SubscribeURL is not SNS's ConfirmSubscription address (https://sns.<region>.amazonaws.com/?Action=ConfirmSubscription…).",
      );
    try {
      const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      if (!response.ok)
        return fail('AWS_UNREACHABLE', `Confirming the SNS subscription failed (HTTP ${response.status}); SNS will send it again.`);
    } catch {
      return fail('AWS_UNREACHABLE', 'Confirming the SNS subscription failed (SubscribeURL unreachable); SNS will send it again.');
    }
    return this.once(message, null, null, async (trx) => {
      await this.options.audit.append(
        { actor: MARKETPLACE_ACTOR, action: 'marketplace.subscribed', subject: message.TopicArn, data: { messageId: message.MessageId } },
        trx,
      );
      return 'confirmed';
    });
  }

  private async entitlementUpdated(
    message: SnsMessage,
    event: MarketplaceEvent,
    contract: ContractRow,
  ): Promise<Result<{ outcome: Outcome }>> {
    const mapping = this.options.config.products[event.productCode];
    if (!mapping) return this.once(message, event.action, contract.external_id, async () => 'ignored');
    // Read before the transaction: no database lock is held while AWS answers. A failure is not recorded, so SNS's retry tries again.
    const entitlements = await this.options.api.getEntitlements(event.productCode, event.customerIdentifier);
    if (!entitlements.ok) return entitlements;
    const terms = termsOf(entitlements.value, mapping);
    return this.once(message, event.action, contract.external_id, async (trx) => {
      const now = this.options.clock.now();
      if (Object.values(terms.quantities).every((n) => n === 0)) {
        // No entitlement left: the contract expired or was cancelled; the license runs out at its own expiry.
        return this.setStatus(contract, contract.ends_at <= now ? 'ended' : 'ending', event.action, trx);
      }
      const endsAt = terms.expiresAt ?? contract.ends_at;
      let changed = false;
      for (const licenseId of await this.licenseIdsOf(contract.id, trx)) {
        const before = await trx.selectFrom('licenses').select('serial').where('id', '=', licenseId).executeTakeFirstOrThrow();
        const after = await this.options.licenses.setTerms(
          licenseId,
          { expiresAt: endsAt, nodes: terms.quantities },
          MARKETPLACE_ACTOR,
          { source: 'aws-marketplace', messageId: message.MessageId },
          trx,
        );
        if (!after.ok) throw new Refusal(after);
        if (after.value.serial !== before.serial) changed = true;
      }
      const quantities = JSON.stringify(terms.quantities);
      if (changed || quantities !== contract.quantities || endsAt !== contract.ends_at || contract.status !== 'active') {
        await this.options.contracts.update(
          contract.id,
          { quantities: terms.quantities, endsAt, status: 'active' },
          MARKETPLACE_ACTOR,
          event.action,
          trx,
        );
        return 'applied';
      }
      return 'unchanged';
    });
  }

  private async setStatus(
    contract: ContractRow,
    status: ContractRow['status'],
    reason: string,
    trx: Transaction<Database>,
  ): Promise<Outcome> {
    const current = await trx.selectFrom('contracts').select('status').where('id', '=', contract.id).executeTakeFirstOrThrow();
    if (current.status === status) return 'unchanged';
    await this.options.contracts.update(contract.id, { status }, MARKETPLACE_ACTOR, reason, trx);
    return 'applied';
  }

  private async licenseIdsOf(contractId: string, trx: Transaction<Database>): Promise<string[]> {
    const rows = await trx.selectFrom('licenses').select('id').where('contract_id', '=', contractId).orderBy('created_at').execute();
    return rows.map((r) => r.id);
  }

  /** Runs `apply` and records the message in one transaction; a message recorded already (a race) is a duplicate. */
  private async once(
    message: SnsMessage,
    action: string | null,
    externalId: string | null,
    apply: (trx: Transaction<Database>) => Promise<Outcome>,
  ): Promise<Result<{ outcome: Outcome }>> {
    try {
      return await this.options.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('marketplace_messages')
          .values({
            message_id: message.MessageId,
            topic_arn: message.TopicArn,
            type: message.Type,
            action,
            external_id: externalId,
            outcome: 'pending',
            applied_at: this.options.clock.now(),
          })
          .execute();
        const outcome = await apply(trx);
        await trx.updateTable('marketplace_messages').set({ outcome }).where('message_id', '=', message.MessageId).execute();
        return ok({ outcome });
      });
    } catch (error) {
      if (error instanceof Refusal) return error.failure;
      if (isUniqueViolation(error)) return ok({ outcome: 'duplicate' as const });
      throw error;
    }
  }
}

/** The action, buyer and product of a Marketplace message; null when it is not one. */
export function eventOf(text: string): MarketplaceEvent | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    try {
      // AWS's own examples show a trailing comma; be as lenient as that.
      parsed = JSON.parse(text.replace(/,\s*}\s*$/, '}'));
    } catch {
      return null;
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const m = parsed as Record<string, unknown>;
  const account = m['customer-aws-account-id'] ?? m.CustomerAWSAccountId;
  const identifier = m['customer-identifier'] ?? m.CustomerIdentifier ?? (typeof account === 'string' ? `aws:${account}` : undefined);
  const productCode = m['product-code'] ?? m.ProductCode;
  if (typeof m.action !== 'string' || typeof identifier !== 'string' || typeof productCode !== 'string') return null;
  return { action: m.action, customerIdentifier: identifier.trim(), productCode: productCode.trim() };
}
