/**
 * Reading one mapping of a YAML config: typed values, every problem recorded under its dotted key (never thrown),
 * keys matched in our spelling or PascalCase, a close key suggested for a typo, secret values hidden. What the keys
 * mean is config.ts's.
 */
import { isAbsolute, resolve } from 'node:path';

export interface ConfigProblem {
  /** The dotted path of the key, e.g. 'notify.mail.port'; '(file)' and '(yaml)' for problems with the file as a whole. */
  key: string;
  message: string;
}

/** What a config's keys allow besides their own names: extra spellings, and keys whose values stay hidden. */
export interface KeyRules {
  /** Spellings of the seed product that are not simply the PascalCase of a key. */
  readonly aliases: ReadonlyMap<string, string>;
  /** Dotted keys whose values never appear in a message. */
  readonly secretKeys: ReadonlySet<string>;
}

/** One mapping of the config, with its dotted path; reads typed values and records what is wrong with them. */
export class Section {
  constructor(
    private readonly path: string,
    private readonly values: Map<string, unknown>,
    private readonly problems: ConfigProblem[],
    /** False when the section was not a mapping: that one problem is reported, not every key it lacks. */
    private readonly wellFormed: boolean,
    private readonly rules: KeyRules,
  ) {}

  static read(raw: unknown, path: string, keys: readonly string[], problems: ConfigProblem[], rules: KeyRules): Section {
    const values = new Map<string, unknown>();
    if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
      problems.push({ key: path, message: `must be a mapping of keys (like "${keys[0]}: ...") (got ${show(raw)})` });
      return new Section(path, values, problems, false, rules);
    }
    const section = new Section(path, values, problems, true, rules);
    if (raw === undefined || raw === null) return section;
    const spelledAs = new Map<string, string>();
    for (const [written, value] of Object.entries(raw)) {
      const key = canonicalKey(written, keys, rules.aliases);
      if (key === null) {
        const suggestion = suggestKey(written, keys, rules.aliases);
        const hint = suggestion ? `did you mean '${suggestion}'?` : `known keys here: ${keys.join(', ')}`;
        problems.push({ key: join(path, printable(written)), message: `is not a known key; ${hint}` });
        continue;
      }
      const earlier = spelledAs.get(key);
      if (earlier !== undefined) {
        problems.push({ key: join(path, key), message: `is given twice, as '${earlier}' and '${written}'; keep one` });
        continue;
      }
      spelledAs.set(key, written);
      // An empty value (`port:`) means "not set", so the default applies.
      if (value !== null) values.set(key, value);
    }
    return section;
  }

  child(key: string, keys: readonly string[]): Section {
    return Section.read(this.values.get(key), join(this.path, key), keys, this.problems, this.rules);
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** The value as written, or undefined when not set. */
  raw(key: string): unknown {
    return this.values.get(key);
  }

  /** Records that a required key is missing. */
  require(key: string, sentence: string): void {
    if (this.wellFormed) this.fail(key, `is required: ${sentence}`);
  }

  fail(key: string, message: string): void {
    this.problems.push({ key: join(this.path, key), message });
  }

  private got(key: string): string {
    return this.rules.secretKeys.has(join(this.path, key)) ? '(hidden)' : show(this.values.get(key));
  }

  /** Non-empty text; `required` is the sentence shown when it is missing, otherwise `fallback` applies. */
  text(key: string, fallback: string | null, required?: string): string | null {
    const value = this.values.get(key);
    if (value === undefined) {
      if (required !== undefined) this.require(key, required);
      return fallback;
    }
    if (typeof value === 'string') {
      if (value.trim() !== '') return value;
      this.fail(key, 'is empty; give a value or leave the key out');
      return fallback;
    }
    const quote = typeof value === 'number' || typeof value === 'boolean' ? '; put it in quotes' : '';
    this.fail(key, `must be text${quote} (got ${this.got(key)})`);
    return fallback;
  }

  whole(key: string, min: number, max: number, fallback: number): number {
    const value = this.values.get(key);
    if (value === undefined) return fallback;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    const unquote = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? '; write it without quotes' : '';
    this.fail(key, `must be a whole number from ${min} to ${max}${unquote} (got ${this.got(key)})`);
    return fallback;
  }

  flag(key: string, fallback: boolean): boolean {
    const value = this.values.get(key);
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    this.fail(key, `must be true or false (got ${this.got(key)})`);
    return fallback;
  }

  /** One of a few words, in any letter case. */
  choice<T extends string>(key: string, options: readonly T[], fallback: T): T {
    const value = this.values.get(key);
    if (value === undefined) return fallback;
    const match = typeof value === 'string' ? options.find((option) => option === value.trim().toLowerCase()) : undefined;
    if (match !== undefined) return match;
    this.fail(key, `must be one of ${options.join(', ')} (got ${this.got(key)})`);
    return fallback;
  }

  /** A file system path, made absolute against the config file's folder. */
  filePath(key: string, baseDir: string, required?: string): string | null {
    const value = this.text(key, null, required);
    if (value === null) return null;
    if (value.startsWith('~')) {
      this.fail(key, `cannot start with "~" (it is not expanded); write the full path (got ${this.got(key)})`);
      return null;
    }
    return isAbsolute(value) ? resolve(value) : resolve(baseDir, value);
  }
}

function canonicalKey(written: string, keys: readonly string[], aliases: ReadonlyMap<string, string>): string | null {
  for (const key of keys) {
    if (written === key || written === pascal(key)) return key;
  }
  const alias = aliases.get(written);
  return alias !== undefined && keys.includes(alias) ? alias : null;
}

/** The closest known key within two edits (ignoring letter case), or one the written key starts with or shortens. */
function suggestKey(written: string, keys: readonly string[], aliases: ReadonlyMap<string, string>): string | null {
  const lower = written.toLowerCase();
  let best: { key: string; distance: number } | null = null;
  const candidates = [...keys.map((key) => [key, key] as const), ...[...aliases].filter(([, key]) => keys.includes(key))];
  for (const [spelling, key] of candidates) {
    const other = spelling.toLowerCase();
    const distance = levenshtein(lower, other);
    // A two-letter key is two edits from any other two-letter word, so the distance must stay below the length.
    const close = distance <= 2 && distance < other.length;
    // trustPath → trust, leaseTtl → leaseTtlSeconds.
    const affix = Math.min(lower.length, other.length) >= 4 && (lower.startsWith(other) || other.startsWith(lower));
    if ((close || affix) && (best === null || distance < best.distance)) best = { key, distance };
  }
  return best?.key ?? null;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function pascal(key: string): string {
  return key.charAt(0).toUpperCase() + key.slice(1);
}

/** A key as written, quoted when it would break the one-line report. */
function printable(key: string): string {
  // eslint-disable-next-line no-control-regex
  return key.length > 60 || /[\u0000-\u001f\u007f"]/.test(key) ? show(key) : key;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** A value as it appears in a message: text quoted and cut short, collections by kind. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  return String(value);
}
