/**
 * The license document: what a customer may run. Signed by a vendor key as typ "license"; the same document is
 * the offline key (pasted into an LM) and the body of an LC sync answer (online mode).
 */
import { sealEnvelope } from './envelope.js';
import type { Signer } from './envelope.js';
import { checkCounts, checkFeatures, checkName, checkText, checkWholeNumber, isPlainObject } from './fields.js';
import { openVendorDocument } from './keyring.js';
import type { TrustBundle } from './keyring.js';
import { parseLmid } from './lmid.js';
import { fail, ok } from './result.js';
import type { Result } from './result.js';
import { parseIsoTime } from './time.js';

export type LicenseMode = 'online' | 'offline';
export const DEFAULT_WARN_DAYS = 30;
export const DEFAULT_GRACE_DAYS = 14;
const LICENSE_ID = /^lic_[A-Za-z0-9_-]{1,64}$/;

/** The signed fields of a license. Times are ISO 8601 UTC. */
export interface LicenseDocument {
  readonly id: string;
  /** Grows with every change: a newer copy replaces an older one, never the reverse. */
  readonly serial: number;
  readonly product: string;
  readonly customer: { readonly id: string; readonly name: string };
  readonly type: 'NODE';
  /** Node seats per role, e.g. { query: 3, storage: 5 }. */
  readonly nodes: Readonly<Record<string, number>>;
  /** Numeric limits, e.g. { remote_clusters: 2 }. */
  readonly limits: Readonly<Record<string, number>>;
  readonly features: readonly string[];
  readonly issuedAt: string;
  readonly startsAt: string;
  readonly expiresAt: string;
  readonly warnDays: number;
  readonly graceDays: number;
  readonly mode: LicenseMode;
  /** The License Manager this license is bound to. */
  readonly lmid: string;
  /**
   * How long a running node keeps its seat while its License Manager is silent (down, unreachable), counted from the
   * last lease token it verified; 0 is strict (the seat ends with its lease). Signed, so a customer cannot stretch
   * it; licenses signed before it existed read as 0.
   */
  readonly outageGraceHours: number;
}

/**
 * Input to issueLicense: warnDays and graceDays take their defaults (30 and 14) when left out; outageGraceHours left
 * out is not written (the license reads as strict, 0, exactly as one signed before the field existed).
 */
export type LicenseInput = Omit<LicenseDocument, 'warnDays' | 'graceDays' | 'type' | 'outageGraceHours'> &
  Partial<Pick<LicenseDocument, 'warnDays' | 'graceDays' | 'type' | 'outageGraceHours'>>;

/** The longest outage grace a license may carry: 90 days. */
export const MAX_OUTAGE_GRACE_HOURS = 2160;

/** A license whose signature and fields have been checked. */
export interface License extends LicenseDocument {
  /** The vendor key that signed it. */
  readonly kid: string;
  /** The canonical one-line offline key text. */
  readonly key: string;
  readonly issuedAtMs: number;
  readonly startsAtMs: number;
  readonly expiresAtMs: number;
}

/** Checks and signs a license; returns the offline key text. */
export function issueLicense(input: LicenseInput, signer: Signer): Result<string> {
  const document: LicenseDocument = {
    id: input.id,
    serial: input.serial,
    product: input.product,
    customer: { id: input.customer?.id, name: input.customer?.name },
    type: input.type ?? 'NODE',
    nodes: input.nodes,
    limits: input.limits,
    features: input.features,
    issuedAt: input.issuedAt,
    startsAt: input.startsAt,
    expiresAt: input.expiresAt,
    warnDays: input.warnDays ?? DEFAULT_WARN_DAYS,
    graceDays: input.graceDays ?? DEFAULT_GRACE_DAYS,
    mode: input.mode,
    lmid: input.lmid,
    outageGraceHours: input.outageGraceHours ?? 0,
  };
  const checked = readLicenseFields({ ...document, outageGraceHours: input.outageGraceHours } as unknown as Record<string, unknown>);
  if (!checked.ok) return checked;
  // Left out when not given, so a license without it signs (and reads) byte for byte as before the field existed.
  const { outageGraceHours, ...rest } = checked.value.document;
  return ok(sealEnvelope('license', signer, input.outageGraceHours === undefined ? rest : { ...rest, outageGraceHours }));
}

/**
 * Reads an offline key (or the license inside a sync answer): structure, vendor key, signature, then fields.
 * Every failure is a value with a code and a sentence; it never throws.
 */
export function readLicense(input: unknown, trust: TrustBundle): Result<License> {
  const envelope = openVendorDocument(input, 'license', trust);
  if (!envelope.ok) return envelope;
  const fields = readLicenseFields(envelope.value.payload);
  if (!fields.ok) return fields;
  const { document: d, times } = fields.value;
  // Spelled out rather than spread: spreading two objects costs more here than the rest of the parse.
  return ok({
    id: d.id,
    serial: d.serial,
    product: d.product,
    customer: d.customer,
    type: d.type,
    nodes: d.nodes,
    limits: d.limits,
    features: d.features,
    issuedAt: d.issuedAt,
    startsAt: d.startsAt,
    expiresAt: d.expiresAt,
    warnDays: d.warnDays,
    graceDays: d.graceDays,
    mode: d.mode,
    lmid: d.lmid,
    outageGraceHours: d.outageGraceHours,
    kid: envelope.value.kid,
    key: envelope.value.text,
    issuedAtMs: times.issuedAtMs,
    startsAtMs: times.startsAtMs,
    expiresAtMs: times.expiresAtMs,
  });
}

interface CheckedLicense {
  document: LicenseDocument;
  times: { issuedAtMs: number; startsAtMs: number; expiresAtMs: number };
}

function readLicenseFields(p: Record<string, unknown>): Result<CheckedLicense> {
  const bad = (detail: string) => fail('MALFORMED', `The license is not valid: ${detail}`);
  if (typeof p.id !== 'string' || !LICENSE_ID.test(p.id)) return bad('its id must look like lic_...');
  const problem =
    checkWholeNumber(p.serial, 'serial', 1, Number.MAX_SAFE_INTEGER) ??
    checkName(p.product, 'product') ??
    (isPlainObject(p.customer) ? null : 'customer must be an object with id and name.') ??
    checkText((p.customer as Record<string, unknown>).id, 'customer id', 100) ??
    checkText((p.customer as Record<string, unknown>).name, 'customer name', 200) ??
    (p.type === 'NODE' ? null : 'type must be NODE.') ??
    checkCounts(p.nodes, 'nodes', false) ??
    checkCounts(p.limits, 'limits', true) ??
    checkFeatures(p.features, 'features') ??
    checkWholeNumber(p.warnDays, 'warnDays', 0, 3650) ??
    checkWholeNumber(p.graceDays, 'graceDays', 0, 3650) ??
    (p.mode === 'online' || p.mode === 'offline' ? null : 'mode must be online or offline.') ??
    (p.outageGraceHours === undefined ? null : checkWholeNumber(p.outageGraceHours, 'outageGraceHours', 0, MAX_OUTAGE_GRACE_HOURS));
  if (problem) return bad(problem);
  const lmid = parseLmid(p.lmid);
  if (!lmid.ok || lmid.value !== p.lmid) return bad('it is not bound to a valid LMID.');
  const issuedAtMs = parseIsoTime(p.issuedAt);
  const startsAtMs = parseIsoTime(p.startsAt);
  const expiresAtMs = parseIsoTime(p.expiresAt);
  if (issuedAtMs === null || startsAtMs === null || expiresAtMs === null) {
    return bad('issuedAt, startsAt and expiresAt must be ISO 8601 UTC times (2026-11-24T00:00:00Z).');
  }
  if (expiresAtMs <= startsAtMs) return bad('expiresAt must be after startsAt.');
  const customer = p.customer as { id: string; name: string };
  return ok({
    document: {
      id: p.id,
      serial: p.serial as number,
      product: p.product as string,
      customer: { id: customer.id, name: customer.name },
      type: 'NODE',
      nodes: p.nodes as Record<string, number>,
      limits: p.limits as Record<string, number>,
      features: p.features as string[],
      issuedAt: p.issuedAt as string,
      startsAt: p.startsAt as string,
      expiresAt: p.expiresAt as string,
      warnDays: p.warnDays as number,
      graceDays: p.graceDays as number,
      mode: p.mode as LicenseMode,
      lmid: lmid.value,
      outageGraceHours: (p.outageGraceHours as number | undefined) ?? 0,
    },
    times: { issuedAtMs, startsAtMs, expiresAtMs },
  });
}
