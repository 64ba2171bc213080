/**
 * Account passwords: the rule people are told (12–30 characters with letters, digits and special characters)
 * and argon2id hashing. A password is never logged, audited or stored in the clear.
 *
 * Every hash and verification goes through one PasswordHasher per process, which runs at most `concurrency` of
 * them at once (each takes 64 MiB for ~40 ms) and lets at most `queue` more wait: a flood of logins gets
 * RATE_LIMITED answers instead of exhausting memory or the thread pool.
 */
import { hash, verify } from '@node-rs/argon2';
import { fail, ok } from '@tessera/core';
import type { Result } from '@tessera/core';

// Algorithm.Argon2id; the const enum is not importable under isolatedModules/verbatimModuleSyntax.
const ARGON2ID = 2;
/** 64 MiB, two passes, one lane: about 35–40 ms on the reference machine, well above OWASP's minimum. */
const PARAMETERS = { algorithm: ARGON2ID, memoryCost: 65_536, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 30;

/** null when the password follows the rule; otherwise one sentence naming everything that is missing. */
export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  const problems: string[] = [];
  if (length < PASSWORD_MIN) problems.push(`is ${length} characters long (at least ${PASSWORD_MIN} are needed)`);
  if (length > PASSWORD_MAX) problems.push(`is ${length} characters long (at most ${PASSWORD_MAX} are allowed)`);
  const missing: string[] = [];
  if (!/\p{L}/u.test(password)) missing.push('no letter');
  if (!/\p{Nd}/u.test(password)) missing.push('no digit');
  if (!/[^\p{L}\p{Nd}\s]/u.test(password)) missing.push('no special character (such as ! ? # % or -)');
  if (missing.length) problems.push(`has ${listed(missing)}`);
  if (problems.length === 0) return null;
  return `The password ${problems.join(' and ')}: use ${PASSWORD_MIN} to ${PASSWORD_MAX} characters with letters, digits and special characters.`;
}

function listed(items: string[]): string {
  return items.length === 1 ? items[0]! : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The hashing itself; argon2id unless a test wraps it (to count or hold the calls). */
export interface PasswordWork {
  hash(password: string): Promise<string>;
  /** Throws for a stored text that is not an argon2 hash. */
  verify(stored: string, password: string): Promise<boolean>;
}

export const ARGON2: PasswordWork = {
  hash: (password) => hash(password, PARAMETERS),
  verify: (stored, password) => verify(stored, password),
};

export interface PasswordHashingLimits {
  /** Hashes or verifications running at once. */
  concurrency: number;
  /** Callers waiting for a turn; one more is refused at once. */
  queue: number;
}

export const DEFAULT_HASHING_LIMITS: PasswordHashingLimits = { concurrency: 2, queue: 64 };

const BUSY = 'The License Center is busy checking passwords; try again in a few seconds.';

export class PasswordHasher {
  private readonly work: PasswordWork;
  private readonly slots: ConcurrencyCap;
  // A real hash to verify against when there is no account, so an unknown email takes as long as a wrong password.
  private decoy: Promise<string> | null = null;

  constructor(limits: PasswordHashingLimits = DEFAULT_HASHING_LIMITS, work: PasswordWork = ARGON2) {
    this.work = work;
    this.slots = new ConcurrencyCap(limits.concurrency, limits.queue);
  }

  /** Running and waiting calls, for tests and diagnostics. */
  get load(): { running: number; waiting: number } {
    return this.slots.load;
  }

  /** The argon2id hash of a password; RATE_LIMITED when too many are hashed or waiting already. */
  async hash(password: string): Promise<Result<string>> {
    const done = await this.slots.run(() => this.work.hash(password));
    return done.ran ? ok(done.value) : fail('RATE_LIMITED', BUSY);
  }

  /**
   * Whether a password matches a stored hash; with null (no account, no password set) it still does the work and
   * answers false. RATE_LIMITED when too many are hashed or waiting already.
   */
  async verify(stored: string | null, password: string): Promise<Result<boolean>> {
    const done = await this.slots.run(async () => {
      if (stored !== null) return this.work.verify(stored, password).catch(() => false);
      this.decoy ??= this.work.hash('decoy password 1!');
      await this.work.verify(await this.decoy, password).catch(() => false);
      return false;
    });
    return done.ran ? ok(done.value) : fail('RATE_LIMITED', BUSY);
  }
}

/** At most `limit` tasks at once, at most `queueLimit` waiting (first come, first served); more are turned away. */
export class ConcurrencyCap {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly queueLimit: number,
  ) {}

  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Runs `task` when a slot is free; `{ ran: false }` at once, without running it, when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    if (this.running < this.limit) this.running++;
    else if (this.waiting.length < this.queueLimit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else return { ran: false };
    try {
      return { ran: true, value: await task() };
    } finally {
      // The slot passes straight to the next in line (running stays counted), or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
