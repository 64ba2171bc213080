/**
 * Request codes on the vendor's side: staff paste the code a customer's License Manager made (core
 * createRequestCode), see what it asks for, and issue an offline license bound to its LMID. The code proves the
 * LMID belongs to the LM that signed it; the quantities in it are a wish that staff may adjust. The code text
 * is never stored or audited: it holds the customer's contact details and says nothing the license does not.
 */
import type { Kysely } from 'kysely';
import { fail, ok, readRequestCode } from '@tessera/core';
import type { Contact, RequestCode, Result } from '@tessera/core';
import type { Database } from '../db/schema.js';
import { addMonths, countsProblem, featuresProblem } from './license-rules.js';
import type { Licenses } from './licenses.js';
import type { LicenseView } from './license-views.js';

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
}

export interface IssueFromRequestCode {
  customerId: string;
  productId: string;
  /** Give this license new content and term (it must be unbound or bound to the code's LMID) instead of a new one. */
  licenseId?: string;
  /** Replaces what the code asks for, field by field. */
  adjust?: { nodes?: Record<string, number>; limits?: Record<string, number>; features?: string[]; months?: number };
}

export const ISSUED_FROM_REQUEST_CODE = 'issued_from_request_code';
const MAX_CODE_CHARS = 64 * 1024;
const MAX_MONTHS = 120;

export class RequestCodes {
  private readonly db: Kysely<Database>;
  private readonly licenses: Licenses;
  private readonly clock: { now(): number };

  constructor(options: { db: Kysely<Database>; licenses: Licenses; clock: { now(): number } }) {
    this.db = options.db;
    this.licenses = options.licenses;
    this.clock = options.clock;
  }

  /** What a pasted code asks for, or core's failure (MALFORMED, SIGNATURE_INVALID, LMID_MISMATCH, WRONG_KIND, ...). */
  preview(text: unknown): Result<RequestCodeView> {
    const code = readCode(text);
    return code.ok ? ok(viewOf(code.value)) : code;
  }

  /**
   * Issues (or re-issues) an offline license for the code's LMID: the code's quantities unless adjusted, for its
   * months from now. Returns the license and its offline key, the signed text the customer loads.
   */
  async issue(text: unknown, input: IssueFromRequestCode, actor: string): Promise<Result<{ license: LicenseView; offlineKey: string }>> {
    const code = readCode(text);
    if (!code.ok) return code;
    const product = await this.db
      .selectFrom('products')
      .select(['slug', 'roles', 'limits', 'features'])
      .where('id', '=', input.productId)
      .executeTakeFirst();
    if (!product) return fail('NOT_FOUND', `There is no product ${input.productId}.`);
    if (code.value.product !== null && code.value.product !== product.slug) {
      return fail('PRODUCT_MISMATCH', `This request code asks for ${code.value.product}, not for ${product.slug}.`);
    }
    const adjust = input.adjust ?? {};
    const nodes = adjust.nodes ?? { ...code.value.nodes };
    const limits = adjust.limits ?? { ...code.value.limits };
    const features = adjust.features ?? [...code.value.features];
    const months = adjust.months ?? code.value.months;
    if (!Number.isInteger(months) || months < 1 || months > MAX_MONTHS)
      return fail('BAD_REQUEST', `months must be a whole number from 1 to ${MAX_MONTHS}.`);
    // The code's wish is checked against the product here so the sentence names the code; Licenses checks again.
    const problem =
      countsProblem(nodes, 'nodes', JSON.parse(product.roles) as string[], `roles of ${product.slug}`, true) ??
      countsProblem(limits, 'limits', JSON.parse(product.limits) as string[], `limits of ${product.slug}`, false) ??
      featuresProblem(features, JSON.parse(product.features) as string[], product.slug);
    if (problem) return fail('BAD_REQUEST', `The request code asks for what ${product.slug} does not have: ${problem}`);
    const now = this.clock.now();
    const issued = await this.licenses.issueOffline(
      {
        ...(input.licenseId === undefined ? {} : { licenseId: input.licenseId }),
        customerId: input.customerId,
        productId: input.productId,
        lmid: code.value.lmid,
        nodes,
        limits,
        features,
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
}

function readCode(text: unknown): Result<RequestCode> {
  if (typeof text === 'string' && text.length > MAX_CODE_CHARS)
    return fail('MALFORMED', 'This is too long to be a request code (over 64 KiB).');
  return readRequestCode(text);
}

function viewOf(code: RequestCode): RequestCodeView {
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
  };
}
