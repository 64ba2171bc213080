/**
 * Request codes on the vendor's side: staff paste the code a customer's License Manager made (core
 * createRequestCode), see everything it asks for, and issue an offline license bound to its LMID. The code proves
 * the LMID belongs to the LM that signed it; everything else in it is the customer's wish. So the preview shows
 * every ask and flags what the product does not define, and issuing grants only what staff state in `grant`:
 * nothing passes from the code into a key unconfirmed. The code text is never stored or audited: it holds the
 * customer's contact details and says nothing the license does not.
 */
import type { Kysely } from 'kysely';
import { fail, ok, readRequestCode } from '@tessera/core';
import type { Clock, Contact, RequestCode, Result } from '@tessera/core';
import type { Database } from '../../db/schema.js';
import { addMonths, countsProblem, featuresProblem, productNames } from './license-rules.js';
import type { ProductNames } from './license-rules.js';
import type { Licenses } from './licenses.js';
import type { LicenseView } from './license-views.js';

/** One ask the checked product does not define, or a named product that is not the checked one. */
export interface RequestCodeFlag {
  item: 'product' | 'role' | 'limit' | 'feature';
  /** The product, role, limit or feature name as the code asks for it. */
  name: string;
  message: string;
}

export interface RequestCodeView {
  lmid: string;
  contact: Contact;
  host: { hostname: string; os: string; lmVersion: string };
  product: string | null;
  nodes: Record<string, number>;
  limits: Record<string, number>;
  features: string[];
  months: number;
  createdAt: string;
  /** The product the asks were checked against: the one chosen, else the one the code names if it is defined here. */
  checkedAgainst: { id: string; slug: string } | null;
  /** Every ask the checked product does not define, and a product named by the code that is not the checked one. */
  flags: RequestCodeFlag[];
}

/** What the key holds, exactly as staff confirmed it; a role, limit or feature left out is not granted. */
export interface RequestCodeGrant {
  nodes: Record<string, number>;
  limits: Record<string, number>;
  features: string[];
  /** The term, from the moment of issue. */
  months: number;
}

export interface IssueFromRequestCode {
  customerId: string;
  productId: string;
  /** Give this license new content and term (it must be unbound or bound to the code's LMID) instead of a new one. */
  licenseId?: string;
  grant: RequestCodeGrant;
}

export const ISSUED_FROM_REQUEST_CODE = 'issued_from_request_code';
const MAX_CODE_CHARS = 64 * 1024;
const MAX_MONTHS = 120;

type ProductRow = ProductNames & { id: string };

export class RequestCodes {
  private readonly db: Kysely<Database>;
  private readonly licenses: Licenses;
  private readonly clock: Clock;

  constructor(options: { db: Kysely<Database>; licenses: Licenses; clock: Clock }) {
    this.db = options.db;
    this.licenses = options.licenses;
    this.clock = options.clock;
  }

  /**
   * Everything a pasted code asks for, checked against `productId` (or, without it, the product the code names):
   * or core's failure (MALFORMED, SIGNATURE_INVALID, LMID_MISMATCH, WRONG_KIND, ...), or NOT_FOUND for productId.
   */
  async preview(text: unknown, productId?: string): Promise<Result<RequestCodeView>> {
    const code = readCode(text);
    if (!code.ok) return code;
    const product = productId === undefined ? await this.product('slug', code.value.product) : await this.product('id', productId);
    if (productId !== undefined && !product) return fail('NOT_FOUND', `There is no product ${productId}.`);
    return ok(viewOf(code.value, product));
  }

  /**
   * Issues (or re-issues) an offline license for the code's LMID holding exactly `grant`, for its months from now.
   * Returns the license and its offline key, the signed text the customer loads.
   */
  async issue(text: unknown, input: IssueFromRequestCode, actor: string): Promise<Result<{ license: LicenseView; offlineKey: string }>> {
    const code = readCode(text);
    if (!code.ok) return code;
    const product = await this.product('id', input.productId);
    if (!product) return fail('NOT_FOUND', `There is no product ${input.productId}.`);
    if (code.value.product !== null && code.value.product !== product.slug) {
      return fail('PRODUCT_MISMATCH', `This request code asks for ${code.value.product}, not for ${product.slug}.`);
    }
    const problem = grantProblem(input.grant, product);
    if (problem) return fail('BAD_REQUEST', problem);
    const { nodes, limits, features, months } = input.grant;
    const now = this.clock.now();
    const issued = await this.licenses.issueOffline(
      {
        ...(input.licenseId === undefined ? {} : { licenseId: input.licenseId }),
        customerId: input.customerId,
        productId: input.productId,
        lmid: code.value.lmid,
        nodes: { ...nodes },
        limits: { ...limits },
        features: [...features],
        startsAt: now,
        expiresAt: addMonths(now, months),
      },
      actor,
      ISSUED_FROM_REQUEST_CODE,
    );
    if (!issued.ok) return issued;
    const offlineKey = await this.licenses.signedText(issued.value.id);
    if (offlineKey === null) throw new Error(`License ${issued.value.id} was issued for ${code.value.lmid} but has no signed text.`);
    return ok({ license: issued.value, offlineKey });
  }

  private async product(by: 'id' | 'slug', value: string | null): Promise<ProductRow | null> {
    if (value === null) return null;
    const row = await this.db
      .selectFrom('products')
      .select(['id', 'slug', 'roles', 'limits', 'features'])
      .where(by, '=', value)
      .executeTakeFirst();
    return row ? { id: row.id, ...productNames(row) } : null;
  }
}

function readCode(text: unknown): Result<RequestCode> {
  if (typeof text === 'string' && text.length > MAX_CODE_CHARS)
    return fail('MALFORMED', 'This is too long to be a request code (over 64 KiB).');
  return readRequestCode(text);
}

/** The grant checked against the product, before Licenses checks it again, so the sentence says it is the grant. */
function grantProblem(grant: RequestCodeGrant | undefined, product: ProductRow): string | null {
  if (typeof grant !== 'object' || grant === null)
    return 'State what to grant: grant { nodes, limits, features, months }. Nothing is taken from the request code unconfirmed.';
  const { nodes, limits, features, months } = grant;
  const problem =
    countsProblem(nodes, 'grant nodes', product.roles, `roles of ${product.slug}`, true) ??
    countsProblem(limits, 'grant limits', product.limits, `limits of ${product.slug}`, false) ??
    featuresProblem(features, product.features, product.slug) ??
    (Number.isInteger(months) && months >= 1 && months <= MAX_MONTHS
      ? null
      : `grant months must be a whole number from 1 to ${MAX_MONTHS}.`);
  if (problem) return problem;
  // A key of no seats at all is a slip, never what a customer asked for.
  return Object.values(nodes).some((n) => n > 0) ? null : 'grant nodes must give at least one node of some role.';
}

function viewOf(code: RequestCode, product: ProductRow | null): RequestCodeView {
  return {
    lmid: code.lmid,
    contact: { name: code.contact.name, email: code.contact.email, phone: code.contact.phone },
    host: { hostname: code.host.hostname, os: code.host.os, lmVersion: code.host.lmVersion },
    product: code.product,
    nodes: { ...code.nodes },
    limits: { ...code.limits },
    features: [...code.features],
    months: code.months,
    createdAt: code.createdAt,
    checkedAgainst: product ? { id: product.id, slug: product.slug } : null,
    flags: flagsOf(code, product),
  };
}

/** What the code asks for that `product` does not define; with no product, only that the named one is not defined here. */
function flagsOf(code: Pick<RequestCode, 'product' | 'nodes' | 'limits' | 'features'>, product: ProductNames | null): RequestCodeFlag[] {
  if (!product) {
    return code.product === null
      ? []
      : [{ item: 'product', name: code.product, message: `The code asks for ${code.product}, which is not a product here.` }];
  }
  const has = (names: string[]) => (names.length ? names.join(', ') : 'none');
  const flags: RequestCodeFlag[] = [];
  if (code.product !== null && code.product !== product.slug) {
    flags.push({
      item: 'product',
      name: code.product,
      message: `The code asks for ${code.product}, not ${product.slug}: a key for ${product.slug} is refused; ask for a code made for ${product.slug}.`,
    });
  }
  for (const [role, count] of Object.entries(code.nodes)) {
    if (!product.roles.includes(role))
      flags.push({
        item: 'role',
        name: role,
        message: `${role} nodes (${count}): ${product.slug} has no role ${role} (it has ${has(product.roles)}).`,
      });
  }
  for (const [limit, value] of Object.entries(code.limits)) {
    if (!product.limits.includes(limit))
      flags.push({
        item: 'limit',
        name: limit,
        message: `limit ${limit} (${value}): ${product.slug} has no limit ${limit} (it has ${has(product.limits)}).`,
      });
  }
  for (const feature of code.features) {
    if (!product.features.includes(feature))
      flags.push({
        item: 'feature',
        name: feature,
        message: `feature ${feature}: ${product.slug} has no feature ${feature} (it has ${has(product.features)}).`,
      });
  }
  return flags;
}
