/**
 * The vendor's catalogue: the products it licenses (their node roles, limits, features and default outage grace)
 * and its customers, each made with its audit event in one transaction. Reading a customer with its users and
 * contracts is customers.ts's; licenses of a product for a customer are licenses/'s.
 */
import type { Kysely, Selectable } from 'kysely';
import { fail, ok } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { DialectStatements } from '../../db/dialects/index.js';
import type { Database, ProductsTable } from '../../db/schema.js';
import { newId } from '../../ids.js';
import type { AuditLog } from '../audit/audit.js';
import { DEFAULT_OUTAGE_GRACE_HOURS, outageGraceProblem, productNames, productProblem, textProblem } from '../licenses/license-rules.js';
import type { ProductView } from '../licenses/license-views.js';
import type { Licenses } from '../licenses/licenses.js';

/** A product's new default outage grace, and how many licenses that follow it were signed again with it. */
export interface ProductGraceChange {
  product: ProductView;
  resignedLicenses: number;
}

export class Catalogue {
  private readonly db: Kysely<Database>;
  private readonly dialect: DialectStatements;
  private readonly licenses: Licenses;
  private readonly audit: AuditLog;
  private readonly clock: Clock;

  constructor(options: { db: Kysely<Database>; dialect: DialectStatements; licenses: Licenses; audit: AuditLog; clock: Clock }) {
    this.db = options.db;
    this.dialect = options.dialect;
    this.licenses = options.licenses;
    this.audit = options.audit;
    this.clock = options.clock;
  }

  /** A new product; its outage grace left out is DEFAULT_OUTAGE_GRACE_HOURS (72). */
  async createProduct(
    input: { slug: string; name: string; roles: string[]; limits: string[]; features: string[]; outageGraceHours?: number },
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
      outageGraceHours: input.outageGraceHours ?? DEFAULT_OUTAGE_GRACE_HOURS,
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
          outage_grace_hours: product.outageGraceHours,
          created_at: product.createdAt,
        })
        .execute();
      await this.audit.append({ actor, action: 'product.created', subject: product.id, data: { ...product } }, trx);
      return ok(product);
    });
  }

  /**
   * Sets the product's default outage grace. Every license that follows it (has none of its own) is signed again
   * with a raised serial and a history entry, in the same transaction: a license's signed grace is always the one
   * the License Center shows for it. Licenses with their own grace are left as they are.
   */
  async setOutageGrace(productId: string, hours: number, actor: string): Promise<Result<ProductGraceChange>> {
    const problem = outageGraceProblem(hours, "A product's outage grace");
    if (problem) return fail('BAD_REQUEST', problem);
    return this.db.transaction().execute(async (trx) => {
      // Locks in one order: the product (a license made or set to follow it meanwhile waits, then sees the new
      // default), then every license that follows it, and only then the audit log (each append holds it to the
      // commit). Locking a license after an append would wait on a change of that license, which waits on the log.
      const row = await this.dialect.forNoKeyUpdate(trx.selectFrom('products').selectAll().where('id', '=', productId)).executeTakeFirst();
      if (!row) return fail('NOT_FOUND', `There is no product ${productId}.`);
      const previous = row.outage_grace_hours;
      if (previous === hours) return ok({ product: productViewOf(row), resignedLicenses: 0 });
      await trx.updateTable('products').set({ outage_grace_hours: hours }).where('id', '=', productId).execute();
      const following = await this.dialect
        .forUpdate(
          trx.selectFrom('licenses').select('id').where('product_id', '=', productId).where('outage_grace_hours', 'is', null).orderBy('id'),
        )
        .execute();
      const resignedLicenses = following.length;
      await this.audit.append(
        { actor, action: 'product.outage_grace', subject: productId, data: { outageGraceHours: hours, previous, resignedLicenses } },
        trx,
      );
      for (const { id } of following) {
        const changed = await this.licenses.followProductGrace(id, { previous, next: hours }, actor, trx);
        if (!changed.ok) throw new Error(`License ${id} could not follow product ${productId}: ${changed.detail}`);
      }
      return ok({ product: productViewOf({ ...row, outage_grace_hours: hours }), resignedLicenses });
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
    return rows.map(productViewOf);
  }
}

function productViewOf(row: Selectable<ProductsTable>): ProductView {
  return {
    ...productNames(row),
    id: row.id,
    name: row.name,
    outageGraceHours: row.outage_grace_hours,
    createdAt: row.created_at,
  };
}
