/**
 * The vendor keys this License Manager verifies with (DESIGN decision 8). Roots come from `trustRoot:` in the YAML
 * when set (then the trust file can only narrow trust, never widen it), else from the trust file (v2). The LM keeps
 * the newest root-signed bundle it has seen, from the file, a sync answer's `trust` or `tessera-lm load`, sealed
 * with its identity (guards.ts), and never goes back to a lower serial. A plain v1 file (a release before roots)
 * still works until a root-signed bundle arrives; from then on only root-signed bundles count.
 */
import { fail, ok, readSignedTrustBundle, readTrustFile } from '@tessera/core';
import type { Result, SignedTrustBundle, TrustBundle, TrustRoot } from '@tessera/core';
import type { SyncTrust } from '../sync/client.js';
import type { Guards } from './guards.js';

export type BundleOffer = 'adopted' | 'held' | 'older';

export class TrustService implements SyncTrust {
  private signed: SignedTrustBundle | null;
  private readonly listeners: (() => void)[] = [];

  private constructor(
    private readonly guards: Guards,
    /** null: a v1 file without trustRoot, so no root-signed bundle can be checked. */
    readonly roots: readonly TrustRoot[] | null,
    signed: SignedTrustBundle | null,
    private readonly legacy: TrustBundle | null,
  ) {
    this.signed = signed;
  }

  /**
   * Reads the trust file (`path` only names it in messages) and picks the bundle to use: the newer of the file's and
   * the sealed one, never one below the highest serial used before. `warnings` are for the log, once.
   */
  static open(
    text: string,
    path: string,
    pinned: readonly TrustRoot[] | null,
    guards: Guards,
  ): Result<{ trust: TrustService; warnings: string[] }> {
    // Endorsements are followed here (never in products): an online LM whose file names an earlier root follows a
    // root rotation by itself, the bundle carrying the chain from that root.
    const follow = { followEndorsements: true };
    const file = readTrustFile(text, pinned, follow);
    if (!file.ok) return fail(file.code, `The trust file ${path} cannot be used: ${file.detail}`);
    const roots = file.value.kind === 'signed' ? file.value.roots : pinned;
    const fromFile = file.value.kind === 'signed' ? file.value.bundle : null;
    const sealed = guards.bundle !== null && roots ? readSignedTrustBundle(guards.bundle, roots, follow) : null;
    const candidates = [fromFile, sealed?.ok ? sealed.value : null].filter((b): b is SignedTrustBundle => b !== null);
    const best = candidates.sort((a, b) => b.serial - a.serial)[0] ?? null;
    const warnings: string[] = [];
    if (best && best.serial >= guards.bundleSerial) {
      guards.acceptBundle(best.text, best.serial);
      if (fromFile && fromFile.serial < best.serial) {
        warnings.push(
          `The trust file ${path} holds trust bundle serial ${fromFile.serial}; this License Manager uses serial ${best.serial}, which it received before. Replace the file with the current one (tessera-center trust-bundle prints it).`,
        );
      }
      if (file.value.kind === 'legacy') {
        warnings.push(
          `The trust file ${path} is a plain (v1) trust bundle; this License Manager uses the root-signed bundle serial ${best.serial} it received before.`,
        );
      }
      return ok({ trust: new TrustService(guards, roots, best, null), warnings });
    }
    if (guards.bundleSerial > 0) {
      const held = fromFile ? `serial ${fromFile.serial}` : 'a plain (v1) bundle';
      const why = !roots
        ? ' and no trust root is known to check the one it holds (set trustRoot, or put back the v2 trust file)'
        : sealed && !sealed.ok
          ? ` and the one it holds no longer verifies with the trust roots (${sealed.detail})`
          : '';
      return fail(
        'SUPERSEDED',
        `This License Manager has already used trust bundle serial ${guards.bundleSerial}, but the trust file ${path} holds ${held}${why}. Put the vendor's current trust file there (tessera-center trust-bundle prints it).`,
      );
    }
    // A v1 file and no root-signed bundle ever held: serve as before, and say what products built with a root need.
    const upgrade = roots
      ? 'or let an online sync bring it'
      : "or set trustRoot (the vendor's root key, which tessera-center trust-root prints) so an online sync can bring it";
    warnings.push(
      `The trust file ${path} is a plain (v1) trust bundle, signed by no root: products built with a trust root refuse the licenses of this License Manager until it holds a root-signed bundle. Replace the file with the output of tessera-center trust-bundle, ${upgrade}.`,
    );
    return ok({ trust: new TrustService(guards, roots, null, file.value.kind === 'legacy' ? file.value.bundle : null), warnings });
  }

  /** What licenses, time tokens and clock resets are verified with now. */
  get bundle(): TrustBundle {
    return (this.signed ?? this.legacy)!;
  }

  /** The root-signed bundle held, or null (a v1 file, and none received yet). */
  get signedBundle(): SignedTrustBundle | null {
    return this.signed;
  }

  /** The serial of the root-signed bundle held, 0 when none. */
  get heldSerial(): number {
    return this.signed?.serial ?? 0;
  }

  /** Checks a root-signed bundle with the roots, without adopting it; null when no root is known (v1 file, no trustRoot). */
  check(text: unknown): Result<SignedTrustBundle> | null {
    return this.roots ? readSignedTrustBundle(text, this.roots, { followEndorsements: true }) : null;
  }

  /** Adopts a checked bundle when it is newer than the one held; listeners re-verify what they hold. */
  adopt(bundle: SignedTrustBundle): BundleOffer {
    const held = this.signed?.serial ?? 0;
    if (bundle.serial === held) return 'held';
    if (bundle.serial < held || bundle.serial < this.guards.bundleSerial) return 'older';
    this.guards.acceptBundle(bundle.text, bundle.serial);
    this.signed = bundle;
    for (const listener of this.listeners) listener();
    return 'adopted';
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }
}

/** The bundle document in a pasted text: the document itself (tessera-trust:…), or the v2 trust file around it. */
export function bundleTextOf(text: string): Result<string> {
  if (!text.startsWith('{')) return ok(text);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('MALFORMED', 'The trust file is not valid JSON: copy it again, whole.');
  }
  const file = json as { format?: unknown; v?: unknown; bundle?: unknown } | null;
  if (file?.format === 'tessera-trust-bundle' && file.v === 2 && typeof file.bundle === 'string') return ok(file.bundle);
  return fail(
    'MALFORMED',
    'Only a root-signed trust bundle can be loaded: the v2 trust file that tessera-center trust-bundle prints, or the bundle document (tessera-trust:…) in it. A plain v1 bundle vouches for nothing here.',
  );
}
