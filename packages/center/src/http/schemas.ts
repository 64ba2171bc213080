/**
 * The shapes the License Center answers with, as JSON schemas: each route names its response by these, so
 * /openapi.json describes every answer and the portal's types are generated from it (apps/portal/src/api-types.ts).
 * Shared shapes are registered once (components in the document, `$ref: 'Name#'` in a route). Objects list every
 * member and allow no other, so the tests, which check each answer against its schema, catch a schema that drifts
 * from what a service returns. Answers are serialised with JSON.stringify, as before: a schema never drops a field.
 */
import { CODES } from '@tessera/core';

type Schema = Record<string, unknown>;

const string = (description?: string): Schema => ({ type: 'string', ...(description ? { description } : {}) });
const integer = (description?: string): Schema => ({ type: 'integer', ...(description ? { description } : {}) });
const boolean: Schema = { type: 'boolean' };
const millis = (description = 'Epoch milliseconds.'): Schema => ({ type: 'integer', description });
const nullable = (schema: Schema): Schema =>
  typeof schema.type === 'string' ? { ...schema, type: [schema.type, 'null'] } : { anyOf: [schema, { type: 'null' }] };
const oneOf = (...values: string[]): Schema => ({ type: 'string', enum: values });
const list = (items: Schema): Schema => ({ type: 'array', items });
const strings: Schema = list({ type: 'string' });
const counts = (description: string): Schema => ({ type: 'object', description, additionalProperties: { type: 'integer' } });
const anyObject = (description: string): Schema => ({ type: 'object', description, additionalProperties: true });

const CLOCK_RESET =
  "A signed clock reset naming the request's clockMark, when that mark is ahead of the License Center's time (docs/sync-protocol.md).";
const shared = (name: string): Schema => ({ $ref: `${name}#` });

/** An object of exactly these members; all required but `optional`. */
export function record(properties: Record<string, Schema>, optional: string[] = []): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    properties,
  };
}

/** { items: [...] }: every list answers in this shape; pages add nextCursor. */
export const items = (item: Schema): Schema => record({ items: list(item) });
export const page = (item: Schema): Schema =>
  record({ items: list(item), nextCursor: nullable(string('Pass back as cursor for the next page; null on the last page.')) });

const mode = oneOf('online', 'offline');
const licenseState = oneOf('active', 'expiring', 'grace', 'expired', 'suspended', 'ended');
const staffRole = oneOf('admin', 'sales', 'support');

const PACKAGE = {
  id: string(),
  product: string("The product's slug."),
  version: string(),
  platform: string(),
  filename: string(),
  size: integer('Bytes.'),
  sha256: string('Lower-case hex SHA-256 of the file.'),
  uploadedAt: millis(),
  uploadedBy: string('The staff member who uploaded it (staff views only).'),
};

const OUTAGE_GRACE_OF_PRODUCT =
  "Hours a running node keeps its seat while its License Manager is silent, for the product's licenses without a grace of their own (0: strict, the seat ends with its lease; at most 2160).";
const OUTAGE_GRACE_OF_LICENSE = {
  outageGraceHours: integer(
    "The outage grace signed in the license: hours a running node keeps its seat while its License Manager is silent (0: strict, the seat ends with its lease). The license's own, else its product's.",
  ),
  outageGraceOverride: nullable(integer("The license's own outage grace in hours; null follows the product's.")),
};

const SIGNING_KEY = {
  kid: string(),
  state: oneOf('active', 'retired', 'revoked'),
  publicKey: string('Ed25519, base64url of the raw 32 bytes.'),
  createdAt: millis(),
  retiredAt: nullable(millis('When the key stopped signing; null while it is active.')),
};

const BRAND = {
  name: string("The vendor's name."),
  logo: nullable(string('A data:image/…;base64 URL.')),
  supportEmail: nullable(string('Where customers write for help.')),
  accent: string('#rrggbb, dark enough for white text on it.'),
  accentDark: string('The accent darkened, for hover and focus.'),
};

const SHARED = {
  Message: record({ message: string('What happened, in words for a person.') }),
  User: record({
    id: string(),
    email: string(),
    name: string(),
    role: oneOf('customer', 'admin', 'sales', 'support'),
    customerId: nullable(string('The customer a customer user belongs to; null for staff.')),
    status: oneOf('pending', 'active', 'disabled'),
  }),
  LoggedIn: record({
    user: shared('User'),
    csrfToken: string('Send it in x-csrf-token with every write made with the session cookie.'),
    expiresAt: millis('When the session ends.'),
  }),
  Me: record({
    user: shared('User'),
    via: oneOf('session', 'token'),
    csrfToken: nullable(string("The session's CSRF token; null with an API token.")),
  }),
  ApiToken: record({ id: string(), label: string(), createdAt: millis() }),
  StaffUser: record({
    id: string(),
    email: string(),
    name: string(),
    role: staffRole,
    status: oneOf('pending', 'active', 'disabled'),
    createdAt: millis(),
    activatedAt: nullable(millis()),
  }),
  Product: record({
    id: string(),
    slug: string('The product name in licenses, e.g. graphdb.'),
    name: string(),
    roles: strings,
    limits: strings,
    features: strings,
    outageGraceHours: integer(OUTAGE_GRACE_OF_PRODUCT),
    createdAt: millis(),
  }),
  License: record({
    id: string(),
    customerId: string(),
    productId: string(),
    serial: integer('Rises with every change of the signed content.'),
    nodes: counts('Seats per role.'),
    limits: counts('Named limits.'),
    features: strings,
    startsAt: millis(),
    expiresAt: millis(),
    warnDays: integer(),
    graceDays: integer(),
    status: oneOf('active', 'suspended', 'ended'),
    mode,
    lmid: nullable(string('The bound License Manager; null until bound.')),
    ...OUTAGE_GRACE_OF_LICENSE,
    onlineKeyMasked: string('The online key with every group but the last hidden.'),
    createdAt: millis(),
    updatedAt: millis(),
  }),
  LicenseCard: record({
    id: string(),
    product: record({ slug: string(), name: string() }),
    lmid: nullable(string()),
    status: licenseState,
    startsAt: millis(),
    expiresAt: millis(),
    mode,
    nodes: counts('Seats per role.'),
    limits: counts('Named limits of the product granted.'),
    features: list(string('A feature of the product granted.')),
    contractId: nullable(string('The subscription (contract) the license belongs to, if any.')),
  }),
  LicenseHistoryEntry: record({
    at: millis(),
    kind: string(),
    serial: integer(),
    actor: string('Staff see who (a user id, marketplace:aws, job:…); customers see customer, vendor, marketplace or system.'),
    changes: list(
      string(
        'What changed, in words: "storage nodes 2 → 3", "limit remote_clusters 2 → 5", "feature federation added", "expiry 2027-01-01 → 2028-01-01".',
      ),
    ),
    detail: anyObject('The facts of the change.'),
  }),
  LicenseDetails: record({
    basic: record({
      id: string(),
      customer: record({ id: string(), name: string() }),
      lmid: nullable(string()),
      type: oneOf('NODE'),
      serial: integer(),
      startsAt: millis(),
      expiresAt: millis(),
      status: licenseState,
    }),
    resources: record({
      product: record({ id: string(), slug: string(), name: string() }),
      nodes: counts('Seats per role.'),
      limits: counts('Named limits.'),
      features: strings,
      ...OUTAGE_GRACE_OF_LICENSE,
    }),
    key: record({
      mode,
      onlineKeyMasked: string(),
      offlineKeyAvailable: { ...boolean, description: 'Whether an offline key can be copied now: offline mode and an LMID bound.' },
      offlineKeyNote: nullable(string('Why not, as a sentence; null when available.')),
    }),
    subscription: nullable(
      record({
        id: string(),
        source: oneOf('marketplace', 'sales'),
        term: oneOf('1m', '1y'),
        autoRenew: boolean,
        startsAt: millis(),
        endsAt: millis(),
        status: oneOf('active', 'ending', 'ended'),
        externalId: nullable(string()),
      }),
    ),
    usage: nullable(
      record({
        lmid: string(),
        usage: counts('Seats in use per role, as the License Manager last reported.'),
        lmVersion: string(),
        host: record({ hostname: string(), os: string() }),
        reportedAt: millis(),
      }),
    ),
    history: list(shared('LicenseHistoryEntry')),
  }),
  LicenseKey: record({
    mode,
    key: string('The online key, or in offline mode the signed license for the bound LMID.'),
  }),
  CustomerSummary: record({ id: string(), name: string(), createdAt: millis() }),
  Contract: record({
    id: string(),
    customerId: string(),
    productId: string(),
    source: oneOf('sales', 'marketplace'),
    term: oneOf('1m', '1y'),
    autoRenew: boolean,
    quantities: counts('Nodes per role.'),
    externalId: nullable(string('The marketplace buyer and product code; null for sales contracts.')),
    startsAt: millis(),
    endsAt: millis(),
    status: oneOf('active', 'ending', 'ended'),
    createdAt: millis(),
    licenseIds: { ...strings, description: 'The licenses granted under the contract, oldest first.' },
  }),
  CustomerDetails: record({
    id: string(),
    name: string(),
    createdAt: millis(),
    users: list(record({ id: string(), email: string(), name: string(), status: oneOf('pending', 'active', 'disabled') })),
    contracts: page(shared('Contract')),
    licenseCount: integer(),
  }),
  RequestCodePreview: record({
    lmid: string('Verified: it derives from the License Manager key that signed the code.'),
    contact: record({ name: string(), email: string(), phone: string() }),
    host: record({ hostname: string(), os: string(), lmVersion: string() }),
    product: nullable(string()),
    nodes: counts('Seats per role asked for.'),
    limits: counts('Limits asked for.'),
    features: strings,
    months: integer(),
    createdAt: string('When the License Manager made the code (ISO 8601).'),
    checkedAgainst: nullable(record({ id: string(), slug: string() })),
    flags: list(record({ item: oneOf('product', 'role', 'limit', 'feature'), name: string(), message: string() })),
  }),
  RenewalRequest: record({
    licenseId: string(),
    customer: record({ id: string(), name: string() }),
    product: string(),
    months: { type: 'integer', enum: [1, 12] },
    requestedAt: millis(),
    requestedBy: string(),
    expiresAt: millis(),
  }),
  AuditEvent: record({
    seq: integer(),
    at: millis(),
    actor: string(),
    action: string(),
    subject: string(),
    data: anyObject('Details: ids and values, never secrets.'),
    prevHash: string(),
    hash: string(),
  }),
  ProductGraceChange: record({
    product: shared('Product'),
    resignedLicenses: integer('Licenses that follow the product, signed again with the new grace (each with a raised serial).'),
  }),
  SigningKey: record(SIGNING_KEY),
  Package: record(PACKAGE, ['uploadedBy']),
  WithdrawnPackage: record({ ...PACKAGE, withdrawnAt: millis() }),
  TrustFile: record({
    format: oneOf('tessera-trust-bundle'),
    v: { type: 'integer', enum: [2] },
    roots: { ...strings, description: "The vendor's published root public keys (tessera-root:…)." },
    bundle: string('The root-signed trust bundle (tessera-trust:…) of every signing key.'),
  }),
  AuditVerification: {
    oneOf: [
      record({ ok: { type: 'boolean', enum: [true] }, events: integer() }),
      record({
        ok: { type: 'boolean', enum: [false] },
        events: integer('Intact events before the first broken link.'),
        brokenAt: integer('The seq of the first broken link.'),
        reason: string(),
      }),
    ],
  },
  KeyRevocation: record({
    ...SIGNING_KEY,
    resigned: list(record({ licenseId: string(), serial: integer(), mode })),
    offline: list(record({ licenseId: string(), customerId: string(), customer: string(), contacts: strings })),
  }),
  SyncAnswer: {
    oneOf: [
      record(
        {
          changed: { type: 'boolean', enum: [false] },
          time: string('The signed time token.'),
          trust: string('The root-signed trust bundle.'),
          clockReset: string(CLOCK_RESET),
        },
        ['clockReset'],
      ),
      record(
        {
          changed: { type: 'boolean', enum: [true] },
          license: string('The signed license, bound to the LMID of the request.'),
          time: string('The signed time token.'),
          trust: string('The root-signed trust bundle.'),
          clockReset: string(CLOCK_RESET),
        },
        ['clockReset'],
      ),
    ],
  },
  /** The vendor's brand as anyone may read it (GET /v1/brand): what the portal's header, titles and colours show. */
  Brand: record({ ...BRAND }),
  /** The brand in effect, the environment's defaults under it, and what admins set (null follows the default). */
  BrandSettings: record({
    brand: record({ ...BRAND, mailFrom: string('The From header of the mails.') }),
    defaults: record({
      name: BRAND.name,
      logo: BRAND.logo,
      supportEmail: BRAND.supportEmail,
      accent: BRAND.accent,
      mailFrom: string('The From header of the mails.'),
    }),
    overrides: record({
      name: nullable(string()),
      logo: nullable(string()),
      supportEmail: nullable(string()),
      mailFrom: nullable(string('A sender address; the name shown is the brand name.')),
      accent: nullable(string()),
    }),
  }),
  /** Names by id (GET /v1/staff/names). */
  Names: record({ names: { type: 'object', description: 'id → name.', additionalProperties: { type: 'string' } } }),
  /** Which of the first steps of a new License Center are done (the staff home lists the others). */
  FirstSteps: record({
    product: { type: 'boolean', description: 'A product of the vendor exists (the built-in License Manager does not count).' },
    customer: { type: 'boolean', description: 'A customer exists.' },
    contract: { type: 'boolean', description: 'A contract exists.' },
    invited: { type: 'boolean', description: "A customer's user has been invited." },
  }),
  /** The body of every error answer (packages/http): each operation's 4XX and 5XX answers. */
  ErrorBody: record({
    error: record({
      code: { type: 'string', enum: [...CODES], description: 'A stable code from docs/codes.md.' },
      message: string('What went wrong and what to do, in words for a person.'),
      requestId: string('Also in the x-request-id header and the log line.'),
    }),
  }),
} satisfies Record<string, Schema>;

export type SchemaName = keyof typeof SHARED;

/** A reference to a shared schema. */
export const ref = (name: SchemaName): Schema => shared(name);

/** The shared schemas with their $id, to register on the app (and on a validator that checks answers). */
export const SHARED_SCHEMAS: Schema[] = Object.entries(SHARED).map(([$id, schema]) => ({ $id, ...schema }));

/** Answers of a few words: a body that is only a message. */
export const MESSAGE = ref('Message');
