/**
 * The vendor's root keys: trust rooted in the product (docs/trust.md). The root's public half is compiled into the
 * vendor's products; the active root signs the trust bundle (the signing keys and their states), so a product
 * accepts a license only from a signing key this License Center vouches for. The License Center keeps the root
 * sealed under the master key like the signing keys (an operator who prefers it offline signs bundles elsewhere:
 * see the docs); the first start makes one.
 *
 * A root rotation needs new product builds, so it has three steps: `next` makes a new root that is published beside
 * the active one (products built from then on carry both), `activate` switches bundle signing to it once installed
 * products carry it, and the old root is retired (later builds may drop it).
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import {
  decodeBase64Url,
  endorseRoot,
  encodeBase64Url,
  formatTrustRoot,
  generateEd25519,
  privateKeyFromSeed,
  rawPublicKey,
  rawSeed,
  rootKidForPublicKey,
} from '@tessera/core';
import type { Clock, Signer } from '@tessera/core';
import type { DialectStatements } from '../../db/dialects/index.js';
import type { Database, RootKeysTable } from '../../db/schema.js';
import { fail, ok } from '@tessera/core';
import type { Result } from '@tessera/core';
import { openSecret, sealSecret } from './master-key.js';

export interface RootKeyInfo {
  kid: string;
  state: RootKeysTable['state'];
  /** The text a vendor compiles into its products (`tessera-root:…`). */
  root: string;
  createdAt: number;
  activatedAt: number | null;
  retiredAt: number | null;
}

type Row = Selectable<RootKeysTable>;
/**
 * The order roots succeeded each other: those that were active, by when they became active (and were retired), then
 * the next one. Not by created_at: a clock that went back, or two made in one millisecond, must not turn the chain.
 */
function generation(a: Row, b: Row): number {
  const rank = (row: Row) => (row.state === 'next' ? 1 : 0);
  return (
    rank(a) - rank(b) ||
    (a.activated_at ?? 0) - (b.activated_at ?? 0) ||
    (a.retired_at ?? Number.MAX_SAFE_INTEGER) - (b.retired_at ?? Number.MAX_SAFE_INTEGER)
  );
}

/** Work done in a root change's own transaction (its audit event). */
export type RootChange = (trx: Transaction<Database>, root: RootKeyInfo) => Promise<void>;
const RECHECK_MS = 30_000;

function infoOf(row: Row): RootKeyInfo {
  const raw = decodeBase64Url(row.public_key);
  if (!raw) throw new Error(`Root key ${row.kid} has a damaged public key in the database.`);
  return {
    kid: row.kid,
    state: row.state,
    root: formatTrustRoot(raw),
    createdAt: row.created_at,
    activatedAt: row.activated_at,
    retiredAt: row.retired_at,
  };
}

export class TrustRoots {
  private readonly db: Kysely<Database>;
  private readonly dialect: DialectStatements;
  private readonly masterKey: Uint8Array;
  private readonly clock: Clock;
  /** The active root, opened once; the active kid is read again after RECHECK_MS, so a rotation on another instance is followed. */
  private signer: { key: Signer; checkedAt: number } | null = null;

  constructor(options: { db: Kysely<Database>; dialect: DialectStatements; masterKey: Uint8Array; clock: Clock }) {
    this.db = options.db;
    this.dialect = options.dialect;
    this.masterKey = options.masterKey;
    this.clock = options.clock;
  }

  /** Makes sure there is an active root (the first start makes one); safe from many instances at once. */
  async ensureActive(): Promise<RootKeyInfo> {
    return this.db.transaction().execute(async (trx) => {
      await this.lock(trx);
      const current = await trx.selectFrom('root_keys').selectAll().where('state', '=', 'active').executeTakeFirst();
      return infoOf(current ?? (await this.insert(trx, 'active')));
    });
  }

  /** Every root, newest first. */
  async list(): Promise<RootKeyInfo[]> {
    const rows = await this.db.selectFrom('root_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid').execute();
    return rows.map(infoOf);
  }

  /** The roots products should be built with now: the active one, and the next one during a rotation. */
  async published(): Promise<RootKeyInfo[]> {
    return (await this.list())
      .filter((r) => r.state !== 'retired')
      .sort((a, b) => (a.state === 'active' ? -1 : b.state === 'active' ? 1 : 0));
  }

  /** The active root, for signing bundles. */
  async activeSigner(): Promise<Signer> {
    const now = this.clock.now();
    const cached = this.signer;
    if (cached && now >= cached.checkedAt && now - cached.checkedAt < RECHECK_MS) return cached.key;
    let row = await this.db.selectFrom('root_keys').selectAll().where('state', '=', 'active').executeTakeFirst();
    if (!row) {
      await this.ensureActive();
      row = await this.db.selectFrom('root_keys').selectAll().where('state', '=', 'active').executeTakeFirstOrThrow();
    }
    const key = cached?.key.kid === row.kid ? cached.key : this.open(row);
    this.signer = { key, checkedAt: now };
    return key;
  }

  /**
   * The chain from the first root to the newest: each root's endorsement of the one made after it (core
   * endorseRoot), signed by its predecessor's key. Bundles carry it so that a License Manager whose trust file names
   * an earlier root follows a rotation by itself; products never follow it.
   */
  async endorsements(): Promise<string[]> {
    const rows = (await this.db.selectFrom('root_keys').selectAll().execute()).sort(generation);
    const chain: string[] = [];
    for (let i = 1; i < rows.length; i++) chain.push(endorseRoot(infoOf(rows[i]!).root, this.open(rows[i - 1]!)));
    return chain;
  }

  /**
   * Step 1 of a rotation: a next root, published beside the active one; the existing one when there is one.
   * `within` runs in the same transaction when a root is made (its audit event).
   */
  async createNext(within?: RootChange): Promise<RootKeyInfo> {
    return this.db.transaction().execute(async (trx) => {
      await this.lock(trx);
      const next = await trx.selectFrom('root_keys').selectAll().where('state', '=', 'next').executeTakeFirst();
      if (next) return infoOf(next);
      const made = infoOf(await this.insert(trx, 'next'));
      await within?.(trx, made);
      return made;
    });
  }

  /** Step 2: the next root signs bundles from now on; the active one is retired. `within`: as for createNext. */
  async activate(kid: string, within?: RootChange): Promise<Result<RootKeyInfo>> {
    const result = await this.db.transaction().execute(async (trx) => {
      await this.lock(trx);
      const row = await trx.selectFrom('root_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
      if (!row) return fail('NOT_FOUND', `There is no root key ${kid}.`);
      if (row.state === 'active') return ok(infoOf(row));
      if (row.state !== 'next')
        return fail('BAD_REQUEST', `Root ${kid} is retired; only the next root (trust-root next) can be activated.`);
      const now = this.clock.now();
      await trx.updateTable('root_keys').set({ state: 'retired', retired_at: now }).where('state', '=', 'active').execute();
      await trx.updateTable('root_keys').set({ state: 'active', activated_at: now }).where('kid', '=', kid).execute();
      const activated = infoOf({ ...row, state: 'active', activated_at: now });
      await within?.(trx, activated);
      return ok(activated);
    });
    if (result.ok) this.signer = null;
    return result;
  }

  private async insert(trx: Transaction<Database>, state: 'active' | 'next'): Promise<Row> {
    const { privateKey } = generateEd25519();
    const publicKeyRaw = rawPublicKey(privateKey);
    const kid = rootKidForPublicKey(publicKeyRaw);
    const seed = rawSeed(privateKey);
    const now = this.clock.now();
    const row: Row = {
      kid,
      state,
      public_key: encodeBase64Url(publicKeyRaw),
      private_key_enc: sealSecret(this.masterKey, seed, kid),
      created_at: now,
      activated_at: state === 'active' ? now : null,
      retired_at: null,
    };
    seed.fill(0);
    await trx.insertInto('root_keys').values(row).execute();
    return row;
  }

  private open(row: Row): Signer {
    const seed = openSecret(this.masterKey, row.private_key_enc, row.kid);
    const privateKey = seed ? privateKeyFromSeed(seed) : null;
    seed?.fill(0);
    if (!privateKey || encodeBase64Url(rawPublicKey(privateKey)) !== row.public_key) {
      throw new Error(
        `Root key ${row.kid} cannot be opened: the master key does not match the one it was sealed with (or its stored text was altered). Start the License Center with its original master key.`,
      );
    }
    return { kid: row.kid, privateKey };
  }

  /** Serialises changes of the roots across instances, until the transaction ends. */
  private lock(trx: Transaction<Database>): Promise<void> {
    return this.dialect.lockSet(trx, 'root_keys');
  }
}
