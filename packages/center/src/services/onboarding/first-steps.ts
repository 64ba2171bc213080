/**
 * The first steps of a new License Center, as the staff home lists them until each is done: a product, a customer,
 * a contract, a customer user invited. Read from what exists (never a flag kept apart), so a step done through the
 * API or the command line counts too, and nothing needs to be reset.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { LM_PRODUCT } from '../packages/lm-product.js';

export interface FirstSteps {
  product: boolean;
  customer: boolean;
  contract: boolean;
  invited: boolean;
}

export class FirstStepsService {
  constructor(private readonly db: Kysely<Database>) {}

  async status(): Promise<FirstSteps> {
    const one = async (query: Promise<unknown>) => (await query) !== undefined;
    const { db } = this;
    const [product, customer, contract, user, setupLink] = await Promise.all([
      // The License Manager is built in (migration 0009): it is not the vendor's first product.
      one(db.selectFrom('products').select('id').where('id', '!=', LM_PRODUCT.id).limit(1).executeTakeFirst()),
      one(db.selectFrom('customers').select('id').limit(1).executeTakeFirst()),
      one(db.selectFrom('contracts').select('id').limit(1).executeTakeFirst()),
      one(db.selectFrom('users').select('id').where('customer_id', 'is not', null).limit(1).executeTakeFirst()),
      // Invited and not registered yet: the setup link is out, which is the step.
      one(
        db.selectFrom('tokens').select('id').where('kind', '=', 'setup').where('customer_id', 'is not', null).limit(1).executeTakeFirst(),
      ),
    ]);
    return { product, customer, contract, invited: user || setupLink };
  }
}
