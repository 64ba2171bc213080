/**
 * What staff read about customers: a page of customers (optionally those whose name contains some text), and one
 * customer with its users, contracts and license count. Read-only; customers are made by catalogue.ts. Never a
 * password hash or token: users are shown by id, email, name and status.
 */
import { containsIgnoringCase } from '../../db/expressions.js';
import type { Kysely } from 'kysely';
import { fail, ok } from '@tessera/core';
import type { Result } from '@tessera/core';
import type { Database, UsersTable } from '../../db/schema.js';
import type { Contracts, ContractView } from '../contracts/contracts.js';
import { pageOf, pageStart } from '../pages.js';
import type { Page } from '../pages.js';

export interface CustomerSummary {
  id: string;
  name: string;
  createdAt: number;
}

export interface CustomerUser {
  id: string;
  email: string;
  name: string;
  status: UsersTable['status'];
}

export interface CustomerDetails extends CustomerSummary {
  users: CustomerUser[];
  /** The newest contracts; continue with GET /v1/staff/contracts?customerId=…&cursor=nextCursor. */
  contracts: Page<ContractView>;
  licenseCount: number;
}

const MAX_QUERY_CHARS = 200;
/** The contracts shown with a customer; more are a page away. */
const CONTRACTS_SHOWN = 50;

export class Customers {
  private readonly db: Kysely<Database>;
  private readonly contracts: Contracts;

  constructor(options: { db: Kysely<Database>; contracts: Contracts }) {
    this.db = options.db;
    this.contracts = options.contracts;
  }

  /** Customers newest first; with `q`, those whose name contains it, ignoring case. */
  async list(options: { limit?: number; cursor?: string; q?: string } = {}): Promise<Result<Page<CustomerSummary>>> {
    const start = pageStart('cus_', options);
    if (!start.ok) return start;
    const { limit, after } = start.value;
    let query = this.db.selectFrom('customers').select(['id', 'name', 'created_at']);
    const q = options.q?.trim() ?? '';
    if (q.length > MAX_QUERY_CHARS) return fail('BAD_REQUEST', `q must be at most ${MAX_QUERY_CHARS} characters.`);
    if (q !== '') {
      query = query.where(containsIgnoringCase('name', q));
    }
    if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)));
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    return ok(pageOf(rows, limit, (row) => ({ id: row.id, name: row.name, createdAt: row.created_at })));
  }

  async get(customerId: string): Promise<Result<CustomerDetails>> {
    const customer = await this.db.selectFrom('customers').selectAll().where('id', '=', customerId).executeTakeFirst();
    if (!customer) return fail('NOT_FOUND', `There is no customer ${customerId}.`);
    const users = await this.db
      .selectFrom('users')
      .select(['id', 'email', 'name', 'status'])
      .where('customer_id', '=', customerId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const contracts = await this.contracts.list({ customerId, limit: CONTRACTS_SHOWN });
    if (!contracts.ok) return contracts;
    const count = await this.db
      .selectFrom('licenses')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('customer_id', '=', customerId)
      .executeTakeFirstOrThrow();
    return ok({
      id: customer.id,
      name: customer.name,
      createdAt: customer.created_at,
      users,
      contracts: contracts.value,
      licenseCount: Number(count.n),
    });
  }
}
