/**
 * The composition root: every License Center service, built once from the configuration and an open, migrated
 * database. `tessera-center serve` (app.ts), the other CLI commands and the tests build their services here, so
 * each is wired one way. Routes import the service types they use from the services themselves, never this module.
 */
import type { Logger } from 'pino';
import type { Clock } from '@tessera/core';
import { systemClock } from './clock.js';
import type { CenterConfig } from './config.js';
import type { DatabaseHandle, Dialect } from './db/connect.js';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import { centerMetrics } from './http/metrics.js';
import type { CenterMetrics } from './http/metrics.js';
import { WindowLimiter } from './http/rate-limit.js';
import { Gauges } from './services/monitoring/gauges.js';
import { JobClaims } from './jobs/claims.js';
import { Accounts } from './services/accounts/accounts.js';
import { PasswordHasher } from './services/accounts/passwords.js';
import { Sessions } from './services/accounts/sessions.js';
import { StaffUsers } from './services/accounts/staff-users.js';
import { Throttle } from './services/accounts/throttle.js';
import { AuditLog } from './services/audit/audit.js';
import { Catalogue } from './services/catalogue/catalogue.js';
import { Customers } from './services/catalogue/customers.js';
import { ContractRenewals } from './services/contracts/contract-renewals.js';
import { Contracts } from './services/contracts/contracts.js';
import { Sales } from './services/contracts/sales.js';
import { ChangeNotices } from './services/licenses/change-notices.js';
import { ExpiryNotices } from './services/licenses/expiry-notices.js';
import { LicenseQueries } from './services/licenses/license-queries.js';
import { Licenses } from './services/licenses/licenses.js';
import { RenewalRequests } from './services/licenses/renewal-requests.js';
import { RequestCodes } from './services/licenses/request-codes.js';
import { BrandService } from './services/brand/brand.js';
import { FirstStepsService } from './services/onboarding/first-steps.js';
import { Names } from './services/catalogue/names.js';
import { MailOutbox } from './services/mail/mail.js';
import { Marketplace } from './services/marketplace/marketplace.js';
import { AwsMarketplaceApi } from './services/marketplace/marketplace-aws.js';
import { MarketplaceNotifications } from './services/marketplace/marketplace-notifications.js';
import { SnsVerifier } from './services/marketplace/sns-messages.js';
import { DownloadLinks } from './services/packages/download-links.js';
import { PackageFiles } from './services/packages/package-files.js';
import { Packages } from './services/packages/packages.js';
import { LmPackages } from './services/packages/lm-packages.js';
import { SyncService } from './services/sync/sync.js';
import { ClockResets } from './services/trust/clock-resets.js';
import { KeyChanges } from './services/trust/key-changes.js';
import { SigningKeys } from './services/trust/signing-keys.js';
import { TrustBundles } from './services/trust/trust-bundles.js';
import { TrustRoots } from './services/trust/trust-roots.js';

/** Per-process request budgets (see http/rate-limit.ts). */
export interface Limiters {
  syncPerAddress: WindowLimiter;
  keyReads: WindowLimiter;
  downloadLinks: WindowLimiter;
}

export interface CenterServices {
  config: CenterConfig;
  clock: Clock;
  /** The database, for the start-up steps and the tests' checks; services hold their own reference. */
  db: Kysely<Database>;
  dialect: Dialect;
  keys: SigningKeys;
  /** The vendor's root keys, whose public half products are built with. */
  roots: TrustRoots;
  /** The root-signed trust bundle of the signing keys, handed to License Managers. */
  trustBundles: TrustBundles;
  /** Rotating and revoking signing keys, audited in the change's transaction. */
  keyChanges: KeyChanges;
  clockResets: ClockResets;
  audit: AuditLog;
  /** Products and customers, made by staff. */
  catalogue: Catalogue;
  licenses: Licenses;
  licenseQueries: LicenseQueries;
  requestCodes: RequestCodes;
  renewalRequests: RenewalRequests;
  expiryNotices: ExpiryNotices;
  sync: SyncService;
  mail: MailOutbox;
  jobClaims: JobClaims;
  sessions: Sessions;
  throttle: Throttle;
  staffUsers: StaffUsers;
  accounts: Accounts;
  contracts: Contracts;
  contractRenewals: ContractRenewals;
  sales: Sales;
  customers: Customers;
  marketplace: Marketplace;
  marketplaceNotifications: MarketplaceNotifications;
  packageFiles: PackageFiles;
  packages: Packages;
  /** Publishing the License Manager's own packages (the built-in product) from files. */
  lmPackages: LmPackages;
  limiters: Limiters;
  /** The vendor's brand: environment defaults, staff portal overrides. */
  brand: BrandService;
  /** What the staff home lists until done: product, customer, contract, invitation. */
  firstSteps: FirstStepsService;
  /** Names of customers, products and users by id, for staff pages. */
  names: Names;
  /** The Prometheus metrics of this instance (GET /metrics). */
  metrics: CenterMetrics;
}

export interface ServiceOptions {
  clock?: Clock;
  /** Where the mail outbox logs deliveries; nothing is logged without one. */
  logger?: Logger;
  /** The process's password hasher; tests pass one that counts or holds its calls. */
  passwords?: PasswordHasher;
}

/** Builds every service on `handle` (opened and migrated). Nothing runs: no key is made, no job started. */
export function buildServices(config: CenterConfig, handle: DatabaseHandle, options: ServiceOptions = {}): CenterServices {
  const clock = options.clock ?? systemClock;
  const { db, dialect, statements } = handle;
  const { masterKey, publicUrl } = config;
  const keys = new SigningKeys({ db, dialect: statements, masterKey, clock });
  const roots = new TrustRoots({ db, dialect: statements, masterKey, clock });
  const trustBundles = new TrustBundles({ keys, roots, clock });
  const audit = new AuditLog({ db, dialect: statements, clock, masterKey });
  const brand = new BrandService({ db, audit, clock, defaults: config.brand, mailFrom: config.mailFrom, publicUrl });
  const mail = new MailOutbox({
    db,
    dialect: statements,
    settings: {
      smtp: config.smtp,
      from: config.mailFrom ?? `Tessera License Center <licensing@${new URL(publicUrl).hostname}>`,
      outboxDir: config.outboxDir,
    },
    brand: () => brand.current().then((b) => ({ from: b.mailFrom, name: b.name, supportEmail: b.supportEmail, accent: b.accent })),
    clock,
    instanceId: config.instanceId,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const notices = new ChangeNotices({ mail, publicUrl });
  const licenses = new Licenses({ db, dialect: statements, keys, audit, masterKey, clock, notices });
  const contracts = new Contracts({ db, licenses, audit, clock });
  const sessions = new Sessions({ db, clock });
  const throttle = new Throttle({ db, clock });
  const passwords = options.passwords ?? new PasswordHasher(config.passwordHashing);
  const accounts = new Accounts({
    db,
    mail,
    audit,
    clock,
    publicUrl,
    passwords,
    sessions,
    throttle,
    centerName: async () => `${(await brand.current()).name} License Center`,
  });
  const awsApi = new AwsMarketplaceApi(config.aws);
  const minute = (max: number) => new WindowLimiter({ max, windowMs: 60_000 }, () => clock.now());
  const syncPerKey = minute(config.limits.syncPerKey);
  const packageFiles = new PackageFiles(config.packages.dir);
  const packages = new Packages({
    db,
    audit,
    clock,
    files: packageFiles,
    links: new DownloadLinks(masterKey),
    settings: { maxBytes: config.packages.maxBytes, linkMinutes: config.packages.linkMinutes, publicUrl },
  });
  const clockResets = new ClockResets({ keys, audit, clock });
  return {
    config,
    clock,
    db,
    dialect,
    keys,
    roots,
    trustBundles,
    brand,
    firstSteps: new FirstStepsService(db),
    names: new Names(db),
    keyChanges: new KeyChanges({ db, keys, licenses, trustBundles, audit }),
    clockResets,
    audit,
    catalogue: new Catalogue({ db, dialect: statements, licenses, audit, clock }),
    licenses,
    licenseQueries: new LicenseQueries({ db, clock, masterKey }),
    requestCodes: new RequestCodes({ db, licenses, clock }),
    renewalRequests: new RenewalRequests({ db, audit, mail, clock, publicUrl, marketplaceRenewUrl: config.aws.renewUrl }),
    expiryNotices: new ExpiryNotices({ db, mail, clock, publicUrl }),
    sync: new SyncService({ db, licenses, keys, trustBundles, clockResets, clock, limitKey: (key) => syncPerKey.take(key) }),
    mail,
    jobClaims: new JobClaims({ db, instanceId: config.instanceId, clock }),
    sessions,
    throttle,
    staffUsers: new StaffUsers({ db, dialect: statements, audit, clock }),
    accounts,
    contracts,
    contractRenewals: new ContractRenewals({ db, licenses, audit, mail, clock, publicUrl }),
    sales: new Sales({ db, contracts, mail, publicUrl }),
    customers: new Customers({ db, contracts }),
    marketplace: new Marketplace({ db, api: awsApi, contracts, accounts, audit, clock, config: config.aws, publicUrl }),
    marketplaceNotifications: new MarketplaceNotifications({
      db,
      api: awsApi,
      verifier: new SnsVerifier({
        certUrlPattern: config.aws.certUrlPattern,
        endpoint: config.aws.endpoint,
        allowSha1: config.aws.allowSha1,
      }),
      contracts,
      licenses,
      audit,
      clock,
      config: config.aws,
    }),
    packageFiles,
    packages,
    lmPackages: new LmPackages(packages),
    metrics: centerMetrics({ gauges: new Gauges(db), poolUse: () => handle.poolUse(), clock }),
    limiters: {
      syncPerAddress: minute(config.limits.syncPerAddress),
      keyReads: minute(config.limits.keyReadsPerUser),
      // Download links are budgeted like key reads, apart from them.
      downloadLinks: minute(config.limits.keyReadsPerUser),
    },
  };
}
