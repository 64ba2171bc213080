/**
 * What staff pages show instead of an id: the customer's, product's or user's name (a user also by address), for
 * the ids a page holds (contracts name their customer and product by id, the audit log its actor and subject).
 * Ids of other kinds, and ids that name nothing, are left out of the answer; the page then shows the id.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

export const MAX_NAMED = 200;

export class Names {
  constructor(private readonly db: Kysely<Database>) {}

  async of(ids: readonly string[]): Promise<Record<string, string>> {
    const unique = [...new Set(ids)].slice(0, MAX_NAMED);
    const kind = (prefix: string) => unique.filter((id) => id.startsWith(prefix));
    const [customers, products, users] = await Promise.all([
      this.rows('customers', kind('cus_')),
      this.rows('products', kind('prd_')),
      kind('usr_').length === 0
        ? []
        : this.db.selectFrom('users').select(['id', 'name', 'email']).where('id', 'in', kind('usr_')).execute(),
    ]);
    const names: Record<string, string> = {};
    for (const row of [...customers, ...products]) names[row.id] = row.name;
    for (const user of users) names[user.id] = user.name && user.name !== user.email ? `${user.name} (${user.email})` : user.email;
    return names;
  }

  private async rows(table: 'customers' | 'products', ids: string[]): Promise<{ id: string; name: string }[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom(table).select(['id', 'name']).where('id', 'in', ids).execute();
  }
}
