/**
 * Account passwords: the rule people are told (12–30 characters with letters, digits and special characters)
 * and argon2id hashing. A password is never logged, audited or stored in the clear.
 */
import { hash, verify } from '@node-rs/argon2';

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

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMETERS);
}

// A real hash to verify against when there is no account, so an unknown email takes as long as a wrong password.
let decoy: Promise<string> | null = null;

/** Checks a password against a stored hash; with null (no account, no password set) it still does the work. */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (stored === null) {
    decoy ??= hashPassword('decoy password 1!');
    await verify(await decoy, password).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}
