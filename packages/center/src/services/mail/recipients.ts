/** Who a mail about a customer's licenses goes to: the customer's active users, by email. */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

export async function customerEmails(db: Kysely<Database>, customerId: string): Promise<string[]> {
  const users = await db
    .selectFrom('users')
    .select('email')
    .where('customer_id', '=', customerId)
    .where('role', '=', 'customer')
    .where('status', '=', 'active')
    .orderBy('email')
    .execute();
  return users.map((user) => user.email);
}
