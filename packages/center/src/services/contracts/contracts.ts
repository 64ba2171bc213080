/**
 * Contracts: how a license was bought. This is the sales side: staff sell a customer quantities of a product's
 * node roles for a term of one month or one year, and the contract and the license it grants are created in one
 * transaction, each with its audit event, so there is never a contract without its license or the reverse.
 * AWS Marketplace contracts (services/marketplace.ts) are made here too, with their source, external id and the
 * end AWS states, inside the marketplace's own transaction. Renewals and auto-renew runs are not here yet.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import { fail, ok } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { ContractsTable, Database } from '../../db/schema.js';
import { newId } from '../../ids.js';
import type { AuditLog } from '../audit/audit.js';
import { Refusal } from '../refusal.js';
import { addMonths, contentProblem, countsProblem, productNames } from '../licenses/license-rules.js';
import type { Licenses, LicenseView } from '../licenses/licenses.js';
import { pageOf, pageStart } from '../pages.js';
import type { Page } from '../pages.js';

export type Term = ContractsTable['term'];

export interface ContractInput {
  customerId: string;
  productId: string;
  term: Term;
  autoRenew: boolean;
  /** Nodes per role of the product; the license grants exactly these. */
  quantities: Record<string, number>;
  /** Default: now. */
  startsAt?: number;
  limits?: Record<string, number>;
  features?: string[];
  mode?: 'online' | 'offline';
}

/** What only the marketplace sets: where the contract came from, its id there, and the end the marketplace states. */
export interface ContractOrigin {
  source: 'marketplace';
  /** The buyer's customer identifier and the product code: one contract per pair. */
  externalId: string;
  endsAt: number;
}

export interface ContractView {
  id: string;
  customerId: string;
  productId: string;
  source: ContractsTable['source'];
  term: Term;
  autoRenew: boolean;
  quantities: Record<string, number>;
  externalId: string | null;
  startsAt: number;
  endsAt: number;
  status: ContractsTable['status'];
  createdAt: number;
  /** The licenses granted under the contract, oldest first. */
  licenseIds: string[];
}

export const TERM_MONTHS: Record<Term, number> = { '1m': 1, '1y': 12 };

type ContractRow = Selectable<ContractsTable>;

export class Contracts {
  private readonly db: Kysely<Database>;
  private readonly licenses: Licenses;
  private readonly audit: AuditLog;
  private readonly clock: Clock;

  constructor(options: { db: Kysely<Database>; licenses: Licenses; audit: AuditLog; clock: Clock }) {
    this.db = options.db;
    this.licenses = options.licenses;
    this.audit = options.audit;
    this.clock = options.clock;
  }

  /** A sales contract and its license (nodes = quantities, expiring when the term ends); one transaction. */
  async create(
    input: ContractInput,
    actor: string,
    origin?: ContractOrigin,
    outer?: Transaction<Database>,
  ): Promise<Result<{ contract: ContractView; license: LicenseView }>> {
    if (input.term !== '1m' && input.term !== '1y') return fail('BAD_REQUEST', 'term must be 1m (one month) or 1y (one year).');
    if (typeof input.autoRenew !== 'boolean') return fail('BAD_REQUEST', 'autoRenew must be true or false.');
    if (input.startsAt !== undefined && (!Number.isSafeInteger(input.startsAt) || input.startsAt < 0))
      return fail('BAD_REQUEST', 'startsAt must be a time in epoch milliseconds.');
    const db = outer ?? this.db;
    const product = await db.selectFrom('products').selectAll().where('id', '=', input.productId).executeTakeFirst();
    if (!product) return fail('NOT_FOUND', `There is no product ${input.productId}.`);
    const customer = await db.selectFrom('customers').select('id').where('id', '=', input.customerId).executeTakeFirst();
    if (!customer) return fail('NOT_FOUND', `There is no customer ${input.customerId}.`);
    const names = productNames(product);
    const quantitiesProblem = countsProblem(input.quantities, 'quantities', names.roles, `roles of ${names.slug}`, true);
    if (quantitiesProblem) return fail('BAD_REQUEST', quantitiesProblem);
    if (Object.values(input.quantities).every((count) => count === 0))
      return fail('BAD_REQUEST', 'quantities must sell at least one node of some role.');
    const now = this.clock.now();
    const startsAt = input.startsAt ?? now;
    const endsAt = origin?.endsAt ?? addMonths(startsAt, TERM_MONTHS[input.term]);
    if (endsAt <= now) {
      return fail(
        'BAD_REQUEST',
        `A ${input.term} term from startsAt would have ended on ${new Date(endsAt).toISOString()}; start it later.`,
      );
    }
    const limits = input.limits ?? {};
    const features = input.features ?? [];
    // Checked before anything is written, so a refusal names the input rather than rolling back half a sale.
    const problem = contentProblem(names, { nodes: input.quantities, limits, features, startsAt, expiresAt: endsAt });
    if (problem) return fail('BAD_REQUEST', problem);
    const row: ContractRow = {
      id: newId('ctr_'),
      customer_id: input.customerId,
      product_id: input.productId,
      source: origin?.source ?? 'sales',
      term: input.term,
      auto_renew: input.autoRenew ? 1 : 0,
      quantities: JSON.stringify(input.quantities),
      external_id: origin?.externalId ?? null,
      starts_at: startsAt,
      ends_at: endsAt,
      status: 'active',
      created_at: now,
    };
    const write = async (trx: Transaction<Database>) => {
      await trx.insertInto('contracts').values(row).execute();
      const license = await this.licenses.createLicense(
        {
          customerId: input.customerId,
          productId: input.productId,
          nodes: input.quantities,
          limits,
          features,
          startsAt,
          expiresAt: endsAt,
          ...(input.mode === undefined ? {} : { mode: input.mode }),
          contractId: row.id,
        },
        actor,
        trx,
      );
      if (!license.ok) throw new Refusal(license);
      const contract = viewOf(row, [license.value.id]);
      // Last in the transaction: the audit head stays locked until the commit.
      await this.audit.append(
        {
          actor,
          action: 'contract.created',
          subject: row.id,
          data: {
            customerId: contract.customerId,
            product: names.slug,
            source: contract.source,
            term: contract.term,
            autoRenew: contract.autoRenew,
            quantities: contract.quantities,
            startsAt,
            endsAt,
            licenseId: license.value.id,
          },
        },
        trx,
      );
      return ok({ contract, license: license.value });
    };
    try {
      return await (outer ? write(outer) : this.db.transaction().execute(write));
    } catch (error) {
      if (error instanceof Refusal) return error.failure;
      throw error;
    }
  }

  /**
   * A marketplace contract's new state as the marketplace reports it (quantities, end, status), in the caller's
   * transaction with its audit event; the license follows through Licenses. Unchanged fields are left out.
   */
  async update(
    contractId: string,
    set: { quantities?: Record<string, number>; endsAt?: number; status?: ContractView['status'] },
    actor: string,
    reason: string,
    trx: Transaction<Database>,
  ): Promise<void> {
    await trx
      .updateTable('contracts')
      .set({
        ...(set.quantities === undefined ? {} : { quantities: JSON.stringify(set.quantities) }),
        ...(set.endsAt === undefined ? {} : { ends_at: set.endsAt }),
        ...(set.status === undefined ? {} : { status: set.status }),
      })
      .where('id', '=', contractId)
      .execute();
    await this.audit.append({ actor, action: 'contract.updated', subject: contractId, data: { ...set, reason } }, trx);
  }

  /** Contracts newest first, of one customer when customerId is given. */
  async list(options: { customerId?: string; limit?: number; cursor?: string } = {}): Promise<Result<Page<ContractView>>> {
    const start = pageStart('ctr_', options);
    if (!start.ok) return start;
    const { limit, after } = start.value;
    let query = this.db.selectFrom('contracts').selectAll();
    if (options.customerId !== undefined) {
      const customer = await this.db.selectFrom('customers').select('id').where('id', '=', options.customerId).executeTakeFirst();
      if (!customer) return fail('NOT_FOUND', `There is no customer ${options.customerId}.`);
      query = query.where('customer_id', '=', options.customerId);
    }
    if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)));
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const licenseIds = await this.licenseIdsOf(rows.slice(0, limit));
    return ok(pageOf(rows, limit, (row) => viewOf(row, licenseIds.get(row.id) ?? [])));
  }

  async get(contractId: string): Promise<Result<ContractView>> {
    const row = await this.db.selectFrom('contracts').selectAll().where('id', '=', contractId).executeTakeFirst();
    if (!row) return fail('NOT_FOUND', `There is no contract ${contractId}.`);
    const licenseIds = await this.licenseIdsOf([row]);
    return ok(viewOf(row, licenseIds.get(row.id) ?? []));
  }

  /** License ids per contract. licenses.contract_id has no index; the customer's does, and a contract's licenses are its customer's. */
  private async licenseIdsOf(rows: ContractRow[]): Promise<Map<string, string[]>> {
    const byContract = new Map<string, string[]>();
    if (rows.length === 0) return byContract;
    const licenses = await this.db
      .selectFrom('licenses')
      .select(['id', 'contract_id'])
      .where('customer_id', 'in', [...new Set(rows.map((r) => r.customer_id))])
      .where(
        'contract_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    for (const license of licenses) {
      const ids = byContract.get(license.contract_id!) ?? [];
      ids.push(license.id);
      byContract.set(license.contract_id!, ids);
    }
    return byContract;
  }
}

function viewOf(row: ContractRow, licenseIds: string[]): ContractView {
  return {
    id: row.id,
    customerId: row.customer_id,
    productId: row.product_id,
    source: row.source,
    term: row.term,
    autoRenew: row.auto_renew === 1,
    quantities: JSON.parse(row.quantities) as Record<string, number>,
    externalId: row.external_id,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    status: row.status,
    createdAt: row.created_at,
    licenseIds,
  };
}
