/**
 * The vendor's catalogue: the products it licenses (their node roles, limits and features) and its customers,
 * each made with its audit event in one transaction. Reading a customer with its users and contracts is
 * customers.ts's; licenses of a product for a customer are licenses/'s.
 */
import type { Kysely } from 'kysely';
import { fail, ok } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { Database } from '../../db/schema.js';
import { newId } from '../../ids.js';
import type { AuditLog } from '../audit/audit.js';
import { productNames, productProblem, textProblem } from '../licenses/license-rules.js';
import type { ProductView } from '../licenses/license-views.js';

export class Catalogue {
  private readonly db: Kysely<Database>;
  private readonly audit: AuditLog;
  private readonly clock: Clock;

  constructor(options: { db: Kysely<Database>; audit: AuditLog; clock: Clock }) {
    this.db = options.db;
    this.audit = options.audit;
    this.clock = options.clock;
  }

  async createProduct(
    input: { slug: string; name: string; roles: string[]; limits: string[]; features: string[] },
    actor: string,
  ): Promise<Result<ProductView>> {
    const problem = productProblem(input);
    if (problem) return fail('BAD_REQUEST', problem);
    const product: ProductView = {
      id: newId('prd_'),
      slug: input.slug,
      name: input.name.trim(),
      roles: [...input.roles],
      limits: [...input.limits],
      features: [...input.features],
      createdAt: this.clock.now(),
    };
    return this.db.transaction().execute(async (trx) => {
      const taken = await trx.selectFrom('products').select('id').where('slug', '=', product.slug).executeTakeFirst();
      if (taken) return fail('BAD_REQUEST', `A product with the slug "${product.slug}" already exists (${taken.id}).`);
      await trx
        .insertInto('products')
        .values({
          id: product.id,
          slug: product.slug,
          name: product.name,
          roles: JSON.stringify(product.roles),
          limits: JSON.stringify(product.limits),
          features: JSON.stringify(product.features),
          created_at: product.createdAt,
        })
        .execute();
      await this.audit.append({ actor, action: 'product.created', subject: product.id, data: { ...product } }, trx);
      return ok(product);
    });
  }

  async createCustomer(input: { name: string }, actor: string): Promise<Result<{ id: string; name: string }>> {
    const problem = textProblem(input.name, 'The customer name');
    if (problem) return fail('BAD_REQUEST', problem);
    const customer = { id: newId('cus_'), name: input.name.trim() };
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('customers')
        .values({ ...customer, created_at: this.clock.now() })
        .execute();
      await this.audit.append({ actor, action: 'customer.created', subject: customer.id, data: { name: customer.name } }, trx);
    });
    return ok(customer);
  }

  /** Every product, by slug: a vendor has a handful, so there are no pages. */
  async listProducts(): Promise<ProductView[]> {
    const rows = await this.db.selectFrom('products').selectAll().orderBy('slug').execute();
    return rows.map((row) => ({ ...productNames(row), id: row.id, name: row.name, createdAt: row.created_at }));
  }
}
