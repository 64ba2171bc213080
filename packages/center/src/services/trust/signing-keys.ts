/**
 * The vendor's signing keys: one active key signs; retired keys no longer sign but what they signed still
 * verifies; revoked keys' documents are refused by License Managers (KEY_REVOKED). Private keys are stored only
 * as their 32-byte Ed25519 seed sealed under the master key (label = kid); public keys as base64url raw bytes.
 *
 * Several LC instances may share the database. Changes to the key set take a lock first (PostgreSQL: a
 * transaction-scoped advisory lock; SQLite: the write lock, taken by the transaction's first statement), so
 * instances starting together end with exactly one active key.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DialectStatements } from '../../db/dialects/index.js';
import {
  decodeBase64Url,
  encodeBase64Url,
  generateSigningKey,
  serializeTrustBundle,
  signingKeyFromSeed,
  signingKeySeed,
} from '@tessera/core';
import type { Clock, SigningKey } from '@tessera/core';
import type { Database, SigningKeysTable } from '../../db/schema.js';
import { openSecret, sealSecret } from './master-key.js';

export interface SigningKeyInfo {
  kid: string;
  state: 'active' | 'retired' | 'revoked';
  /** base64url of the raw 32-byte Ed25519 public key. */
  publicKey: string;
  createdAt: number;
  /** When the key stopped signing (rotated out or revoked while active); null while it is active. */
  retiredAt: number | null;
}

export interface SigningKeysOptions {
  db: Kysely<Database>;
  /** The database's own statements (its locks). */
  dialect: DialectStatements;
  /** 32 bytes. */
  masterKey: Uint8Array;
  clock: Clock;
  /** How long active() trusts its cached key before re-reading the active kid; 30 s unless given. */
  recheckMs?: number;
}

const DEFAULT_RECHECK_MS = 30_000;

type Row = Selectable<SigningKeysTable>;

/** Work done in the transaction of a change of the key set, with the key it changed. */
export type InTransaction = (trx: Transaction<Database>, key: SigningKeyInfo) => Promise<void>;

function infoOf(row: Row): SigningKeyInfo {
  return { kid: row.kid, state: row.state, publicKey: row.public_key, createdAt: row.created_at, retiredAt: row.retired_at };
}

export class SigningKeys {
  private readonly db: Kysely<Database>;
  private readonly masterKey: Uint8Array;
  private readonly clock: Clock;
  private readonly recheckMs: number;
  private readonly dialect: DialectStatements;
  /**
   * The active key, decrypted once: signing is on the LM sync path. Another instance may rotate meanwhile, so
   * after recheckMs (by the injected clock) active() re-reads the active kid — one small query on a table of a
   * few rows — and reopens only when it changed. Until then this instance may sign with a key another instance
   * just retired; that is harmless (retired keys still verify). After a revocation elsewhere it may sign with the
   * revoked key for up to recheckMs.
   */
  private cache: { key: SigningKey; checkedAt: number } | null = null;
  private loading: Promise<SigningKey> | null = null;
  /** Bumped by every local change of the key set, so a slower concurrent load cannot cache an older key. */
  private generation = 0;

  constructor(options: SigningKeysOptions) {
    if (options.masterKey.length !== 32) throw new Error(`The master key must be 32 bytes; got ${options.masterKey.length}.`);
    this.db = options.db;
    this.masterKey = options.masterKey;
    this.clock = options.clock;
    this.recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
    this.dialect = options.dialect;
  }

  /** Makes sure there is an active key (the first start creates one) and returns it. Safe to call from many instances at once. */
  async ensureActive(): Promise<SigningKeyInfo> {
    return this.db.transaction().execute(async (trx) => {
      await this.lock(trx);
      const current = await trx.selectFrom('signing_keys').selectAll().where('state', '=', 'active').executeTakeFirst();
      return current ? infoOf(current) : (await this.insertNew(trx)).info;
    });
  }

  /**
   * The active key, for signing. Cached in memory (see `cache`). Throws an Error naming the kid when the
   * master key cannot open it.
   */
  async active(): Promise<SigningKey> {
    const now = this.clock.now();
    const cached = this.cache;
    // A clock that went backwards also forces a re-check.
    if (cached && now >= cached.checkedAt && now - cached.checkedAt < this.recheckMs) return cached.key;
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /**
   * The active key as the database says now (one small query; the key is reopened only when the kid changed), for
   * what is signed once and kept: a license text, a clock reset. Never a key another instance has just retired or
   * revoked, as active() may give for up to recheckMs.
   */
  async activeNow(): Promise<SigningKey> {
    return this.load();
  }

  /** The key of this kid, or undefined. */
  async info(kid: string): Promise<SigningKeyInfo | undefined> {
    const row = await this.db.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
    return row ? infoOf(row) : undefined;
  }

  /**
   * Makes a new active key; the previous active one becomes retired (still trusted). Returns the new key's info.
   * `within` runs in the same transaction once the key is made (its audit event), so both commit or neither.
   */
  async rotate(within?: InTransaction): Promise<SigningKeyInfo> {
    const created = await this.db.transaction().execute(async (trx) => {
      await this.lock(trx);
      await trx.updateTable('signing_keys').set({ state: 'retired', retired_at: this.clock.now() }).where('state', '=', 'active').execute();
      const made = await this.insertNew(trx);
      await within?.(trx, made.info);
      return made;
    });
    this.remember(created.key);
    return created.info;
  }

  /**
   * Revokes a key: License Managers given the new trust bundle refuse what it signed. Revoking the active key
   * (it leaked) makes a new active key in the same transaction, so the License Center can still sign. Null when
   * no key has this kid; revoking a revoked key changes nothing. `within` runs in the same transaction once the key
   * is marked revoked (its audit event).
   */
  async revoke(kid: string, within?: InTransaction): Promise<SigningKeyInfo | null> {
    const result = await this.db.transaction().execute(async (trx) => {
      await this.lock(trx);
      const row = await trx.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
      if (!row) return null;
      if (row.state === 'revoked') return { revoked: infoOf(row), replacement: null };
      const now = this.clock.now();
      const retiredAt = row.retired_at ?? now;
      await trx.updateTable('signing_keys').set({ state: 'revoked', retired_at: retiredAt }).where('kid', '=', kid).execute();
      const replacement = row.state === 'active' ? await this.insertNew(trx) : null;
      const revoked = { ...infoOf(row), state: 'revoked' as const, retiredAt };
      await within?.(trx, revoked);
      return { revoked, replacement };
    });
    if (result?.replacement) this.remember(result.replacement.key);
    else if (this.cache?.key.kid === kid) this.forget();
    return result?.revoked ?? null;
  }

  /** Every key, newest first. */
  async list(): Promise<SigningKeyInfo[]> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid').execute();
    return rows.map(infoOf);
  }

  /**
   * The plain (v1) trust bundle of every key, revoked ones included so License Managers refuse their documents
   * with KEY_REVOKED rather than UNKNOWN_KEY: what License Managers of releases before trust roots read
   * (`tessera-center trust-bundle --format v1`); everything newer gets the root-signed one (trust-bundles.ts).
   * Creates the first key when there is none yet.
   */
  async trustBundle(): Promise<string> {
    let keys = await this.list();
    if (keys.length === 0) {
      await this.ensureActive();
      keys = await this.list();
    }
    return serializeTrustBundle(
      keys.map((k) => {
        const publicKeyRaw = decodeBase64Url(k.publicKey);
        if (!publicKeyRaw) throw new Error(`Signing key ${k.kid} has a damaged public key in the database.`);
        return { kid: k.kid, state: k.state, publicKeyRaw };
      }),
    );
  }

  /** Serialises changes of the key set across instances, until the transaction ends. */
  private lock(trx: Transaction<Database>): Promise<void> {
    return this.dialect.lockSet(trx, 'signing_keys');
  }

  private async insertNew(trx: Transaction<Database>): Promise<{ info: SigningKeyInfo; key: SigningKey }> {
    const key = generateSigningKey();
    const seed = signingKeySeed(key);
    const row: Row = {
      kid: key.kid,
      state: 'active',
      public_key: encodeBase64Url(key.publicKeyRaw),
      private_key_enc: sealSecret(this.masterKey, seed, key.kid),
      created_at: this.clock.now(),
      retired_at: null,
    };
    seed.fill(0);
    await trx.insertInto('signing_keys').values(row).execute();
    return { info: infoOf(row), key };
  }

  private async load(): Promise<SigningKey> {
    const generation = this.generation;
    const checkedAt = this.clock.now();
    let row = await this.readActive();
    if (!row) {
      await this.ensureActive();
      row = await this.readActive();
      if (!row) throw new Error('There is no active signing key, and none could be made.');
    }
    const cached = this.cache;
    const key = cached && cached.key.kid === row.kid ? cached.key : this.open(row);
    if (generation === this.generation) this.cache = { key, checkedAt };
    return key;
  }

  private readActive(): Promise<Pick<Row, 'kid' | 'public_key' | 'private_key_enc'> | undefined> {
    return this.db
      .selectFrom('signing_keys')
      .select(['kid', 'public_key', 'private_key_enc'])
      .where('state', '=', 'active')
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  private open(row: Pick<Row, 'kid' | 'public_key' | 'private_key_enc'>): SigningKey {
    const seed = openSecret(this.masterKey, row.private_key_enc, row.kid);
    if (!seed) {
      throw new Error(
        `Signing key ${row.kid} cannot be opened: the master key does not match the one this key was sealed with (or its stored text was altered). Start the License Center with its original master key.`,
      );
    }
    const key = signingKeyFromSeed(seed, row.kid);
    seed.fill(0);
    if (!key.ok || encodeBase64Url(key.value.publicKeyRaw) !== row.public_key) {
      throw new Error(`Signing key ${row.kid} is damaged: its private key does not match its public key.`);
    }
    return key.value;
  }

  private remember(key: SigningKey): void {
    this.generation++;
    this.cache = { key, checkedAt: this.clock.now() };
  }

  private forget(): void {
    this.generation++;
    this.cache = null;
  }
}
