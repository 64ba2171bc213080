/**
 * The vendor's side of a customer story, through the staff API with an API token: a product, a customer with
 * a sales contract (and so a license), and the invitation mail with its setup link.
 */
import { expect } from 'vitest';
import { ok, readTrustFile } from '@tessera/core';
import type { Result, TrustBundle } from '@tessera/core';
import { startTestCenter } from '../../../../packages/center/test/support/http.js';
import type { Client, TestCenter } from '../../../../packages/center/test/support/http.js';

export { startTestCenter };
export type { TestCenter };

/** The signing keys' bundle of the trust file GET /v1/trust-bundle serves (format 2: the roots and the signed bundle). */
export function trustBundleOf(trustFileText: string): Result<TrustBundle> {
  const file = readTrustFile(trustFileText);
  return file.ok ? ok(file.value.bundle) : file;
}

export interface Sale {
  admin: Client;
  productId: string;
  customerId: string;
  licenseId: string;
  contractId: string;
}

/** A product with roles query and storage, limit shards, features backup and federation. */
export async function productFor(admin: Client, slug: string, name: string): Promise<string> {
  const product = await admin.post('/v1/staff/products', {
    slug,
    name,
    roles: ['query', 'storage'],
    limits: ['shards'],
    features: ['backup', 'federation'],
  });
  expect(product.status).toBe(201);
  return product.body.id as string;
}

/** A customer company that bought `quantities` (and `grant`'s limits and features) of the product for a year, and an invitation mailed to `email`. */
export async function sellAndInvite(
  tc: TestCenter,
  admin: Client,
  productId: string,
  company: string,
  email: string,
  quantities: Record<string, number> = { query: 3, storage: 5 },
  grant: { limits?: Record<string, number>; features?: string[] } = {},
): Promise<Omit<Sale, 'admin' | 'productId'>> {
  const customer = await admin.post('/v1/staff/customers', { name: company });
  expect(customer.status).toBe(201);
  const customerId = customer.body.id as string;
  const contract = await admin.post('/v1/staff/contracts', { customerId, productId, term: '1y', autoRenew: true, quantities, ...grant });
  expect(contract.status).toBe(201);
  const invited = await admin.post(`/v1/staff/customers/${customerId}/invite`, { email });
  expect(invited.status).toBe(202);
  return { customerId, licenseId: contract.body.license.id as string, contractId: contract.body.contract.id as string };
}

/** The page a mailed link opens: the newest mail to `to` with a link to `path`, on the running center. */
export async function mailedLink(tc: TestCenter, to: string, path: 'setup' | 'activate' | 'reset' | 'login-link'): Promise<string> {
  return `${tc.center.url}/${path}#token=${await tc.linkIn(to, path)}`;
}
