/**
 * Builds the License Center once: database (migrated), services, HTTP server, background jobs. Used by
 * `tessera-center serve`, the tests and the benchmarks.
 */
import pino from 'pino';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import type { CenterConfig } from './config.js';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import { openDatabase } from './db/connect.js';
import type { Dialect } from './db/connect.js';
import { migrateToLatest } from './db/migrations.js';
import { Accounts } from './services/accounts/accounts.js';
import { AuditLog } from './services/audit/audit.js';
import { Contracts } from './services/contracts/contracts.js';
import { Customers } from './services/catalogue/customers.js';
import { JobClaims } from './jobs/claims.js';
import { backgroundJobs } from './jobs/background.js';
import { JobScheduler } from './jobs/scheduler.js';
import type { JobTimers } from './jobs/scheduler.js';
import { Licenses } from './services/licenses/licenses.js';
import { MailOutbox } from './services/mail/mail.js';
import { PasswordHasher } from './services/accounts/passwords.js';
import { SigningKeys } from './services/trust/signing-keys.js';
import { TrustBundles } from './services/trust/trust-bundles.js';
import { KeyRevocation } from './services/trust/key-revocation.js';
import { ClockResets } from './services/trust/clock-resets.js';
import { TrustRoots } from './services/trust/trust-roots.js';
import { SyncService } from './services/sync/sync.js';
import { LicenseQueries } from './services/licenses/license-queries.js';
import { RequestCodes } from './services/licenses/request-codes.js';
import { RenewalRequests } from './services/licenses/renewal-requests.js';
import { ExpiryNotices } from './services/licenses/expiry-notices.js';
import { ContractRenewals } from './services/contracts/contract-renewals.js';
import { Sales } from './services/contracts/sales.js';
import { Marketplace } from './services/marketplace/marketplace.js';
import { AwsMarketplaceApi } from './services/marketplace/marketplace-aws.js';
import { MarketplaceNotifications } from './services/marketplace/marketplace-notifications.js';
import { SnsVerifier } from './services/marketplace/sns-messages.js';
import { DownloadLinks } from './services/packages/download-links.js';
import { PackageFiles } from './services/packages/package-files.js';
import { Packages } from './services/packages/packages.js';
import { buildServer } from './http/server.js';
import { WindowLimiter } from './http/rate-limit.js';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';

export interface CenterServices {
  config: CenterConfig;
  clock: Clock;
  /** For services that route modules build on the same database (they must not keep state of their own). */
  db: Kysely<Database>;
  dialect: Dialect;
  keys: SigningKeys;
  /** The vendor's root keys, whose public half products are built with. */
  roots: TrustRoots;
  /** The root-signed trust bundle of the signing keys, handed to License Managers. */
  trustBundles: TrustBundles;
  /** Revoking a signing key and re-signing what it signed. */
  keyRevocation: KeyRevocation;
  clockResets: ClockResets;
  audit: AuditLog;
  licenses: Licenses;
  sync: SyncService;
  mail: MailOutbox;
  jobs: JobClaims;
  accounts: Accounts;
  licenseQueries: LicenseQueries;
  requestCodes: RequestCodes;
  renewalRequests: RenewalRequests;
  contracts: Contracts;
  sales: Sales;
  customers: Customers;
  marketplace: Marketplace;
  marketplaceNotifications: MarketplaceNotifications;
  packages: Packages;
  /** Per-process request budgets (see http/rate-limit.ts). */
  limiters: { syncPerAddress: WindowLimiter; keyReads: WindowLimiter; downloadLinks: WindowLimiter };
}

export interface Center {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly services: CenterServices;
  /** The background jobs: started when the center listens; tests run a round with jobs.runOnce(). */
  readonly jobs: JobScheduler;
  close(): Promise<void>;
}

/** Secrets never reach the log: these fields are redacted wherever they appear. */
const REDACT = [
  'password',
  'token',
  'key',
  'onlineKey',
  'authorization',
  'cookie',
  'request',
  'license',
  'csrfToken',
  'apiToken',
  'loginLink',
]
  .flatMap((k) => [k, `*.${k}`, `req.headers.${k}`])
  .concat('req.headers["x-csrf-token"]');

export async function startCenter(
  config: CenterConfig,
  options: {
    clock?: Clock;
    logger?: Logger;
    listen?: boolean;
    jobs?: { periodMs?: number; timers?: JobTimers };
    /** The process's password hasher; tests pass one that counts or holds its calls. */
    passwords?: PasswordHasher;
  } = {},
): Promise<Center> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ level: 'info', redact: { paths: REDACT, censor: '[redacted]' } });
  const handle = openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    timeouts: config.database,
    onPoolError: (error) => logger.warn({ err: error }, 'database connection closed by the server; reconnecting'),
    onTimeout: ({ message, ...timeout }) => logger.warn({ dbTimeout: timeout }, message),
  });
  await migrateToLatest(handle.db as never, handle.dialect, { masterKey: config.masterKey });
  const keys = new SigningKeys({ db: handle.db, masterKey: config.masterKey, clock });
  await keys.ensureActive();
  const roots = new TrustRoots({ db: handle.db, dialect: handle.dialect, masterKey: config.masterKey, clock });
  await roots.ensureActive();
  const trustBundles = new TrustBundles({ keys, roots, clock });
  const audit = new AuditLog({ db: handle.db, dialect: handle.dialect, clock, masterKey: config.masterKey });
  const licenses = new Licenses({ db: handle.db, keys, audit, masterKey: config.masterKey, clock });
  const mail = new MailOutbox({
    db: handle.db,
    settings: { smtp: config.smtp, from: config.mailFrom, outboxDir: join(config.dataDir, 'outbox') },
    clock,
    instanceId: config.instanceId,
    logger,
  });
  const contracts = new Contracts({ db: handle.db, licenses, audit, clock });
  const passwords = options.passwords ?? new PasswordHasher(config.passwordHashing);
  const accounts = new Accounts({ db: handle.db, mail, audit, clock, publicUrl: config.publicUrl, passwords });
  const awsApi = new AwsMarketplaceApi(config.aws);
  const now = () => clock.now();
  const minute = (max: number) => new WindowLimiter({ max, windowMs: 60_000 }, now);
  const syncPerKey = minute(config.limits.syncPerKey);
  const packageFiles = new PackageFiles(config.packages.dir);
  // Uploads cut off by a stopped instance leave temporary files; a day old, they are nobody's.
  await packageFiles
    .sweepIncoming(clock.now(), 86_400_000)
    .then((count) => count > 0 && logger.info({ count }, 'unfinished package uploads removed'))
    .catch((error: unknown) => logger.warn({ err: error, dir: config.packages.dir }, 'cannot look through the packages folder'));
  const services: CenterServices = {
    config,
    clock,
    db: handle.db,
    dialect: handle.dialect,
    keys,
    roots,
    trustBundles,
    keyRevocation: new KeyRevocation({ db: handle.db, keys, licenses, trustBundles, audit }),
    clockResets: new ClockResets({ keys, audit, clock }),
    audit,
    licenses,
    sync: new SyncService({ db: handle.db, licenses, keys, trustBundles, clock, limitKey: (key) => syncPerKey.take(key) }),
    mail,
    jobs: new JobClaims({ db: handle.db, instanceId: config.instanceId, clock }),
    accounts,
    licenseQueries: new LicenseQueries({ db: handle.db, clock, masterKey: config.masterKey }),
    requestCodes: new RequestCodes({ db: handle.db, licenses, clock }),
    renewalRequests: new RenewalRequests({
      db: handle.db,
      audit,
      mail,
      clock,
      publicUrl: config.publicUrl,
      marketplaceRenewUrl: config.aws.renewUrl,
    }),
    contracts,
    sales: new Sales({ db: handle.db, contracts, mail, publicUrl: config.publicUrl }),
    customers: new Customers({ db: handle.db, contracts }),
    marketplace: new Marketplace({
      db: handle.db,
      api: awsApi,
      contracts,
      accounts,
      audit,
      clock,
      config: config.aws,
      publicUrl: config.publicUrl,
    }),
    marketplaceNotifications: new MarketplaceNotifications({
      db: handle.db,
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
    packages: new Packages({
      db: handle.db,
      audit,
      clock,
      files: packageFiles,
      links: new DownloadLinks(config.masterKey),
      settings: { maxBytes: config.packages.maxBytes, linkMinutes: config.packages.linkMinutes, publicUrl: config.publicUrl },
    }),
    limiters: {
      syncPerAddress: minute(config.limits.syncPerAddress),
      keyReads: minute(config.limits.keyReadsPerUser),
      // Download links are budgeted like key reads, apart from them.
      downloadLinks: minute(config.limits.keyReadsPerUser),
    },
  };
  const app = await buildServer(services, logger);
  const scheduler = new JobScheduler({
    jobs: backgroundJobs({
      claims: services.jobs,
      mail,
      clock,
      logger,
      hourly: [
        {
          name: 'contract-renewals',
          job: new ContractRenewals({ db: handle.db, licenses, audit, mail, clock, publicUrl: config.publicUrl }),
          done: 'contracts auto-renewed',
        },
        {
          name: 'expiry-notices',
          job: new ExpiryNotices({ db: handle.db, mail, clock, publicUrl: config.publicUrl }),
          done: 'expiry notices queued',
        },
      ],
    }),
    periodMs: options.jobs?.periodMs ?? config.jobs.periodMs,
    logger,
    ...(options.jobs?.timers ? { timers: options.jobs.timers } : {}),
  });
  if (options.listen !== false) {
    await app.listen({ host: config.host, port: config.port });
    scheduler.start();
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    app,
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    services,
    jobs: scheduler,
    async close() {
      await scheduler.stop();
      await app.close();
      services.mail.close();
      await handle.close();
    },
  };
}
