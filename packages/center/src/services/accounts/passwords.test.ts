/**
 * The password hasher's cap, with real argon2 behind a gate the test opens: how many hash at once, how many wait,
 * and that the rest are turned away at once without hashing.
 */
import { describe, expect, it } from 'vitest';
import { ARGON2, PasswordHasher } from './passwords.js';
import type { PasswordWork } from './passwords.js';

/** Real argon2 that starts only once the gate is open, counting what runs at once. */
function gatedArgon2() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const seen = { started: 0, running: 0, peak: 0 };
  const held = async <T>(work: () => Promise<T>): Promise<T> => {
    seen.started++;
    seen.running++;
    seen.peak = Math.max(seen.peak, seen.running);
    try {
      await gate;
      return await work();
    } finally {
      seen.running--;
    }
  };
  const work: PasswordWork = {
    hash: (password) => held(() => ARGON2.hash(password)),
    verify: (stored, password) => held(() => ARGON2.verify(stored, password)),
  };
  return { work, seen, open };
}

describe('password hashing cap', () => {
  it('runs at most `concurrency` at once, lets `queue` wait, and turns the rest away at once as RATE_LIMITED', async () => {
    const { work, seen, open } = gatedArgon2();
    const hasher = new PasswordHasher({ concurrency: 2, queue: 3 }, work);
    const calls = Array.from({ length: 10 }, (_, i) => hasher.hash(`password-${i}-Aa!`));
    // The five over the queue are answered while the gate is still shut: nothing of theirs was hashed.
    expect(await Promise.all(calls.slice(5))).toEqual(Array(5).fill(expect.objectContaining({ ok: false, code: 'RATE_LIMITED' })));
    expect(hasher.load).toEqual({ running: 2, waiting: 3 });
    expect(seen.started).toBe(2);
    open();
    const done = await Promise.all(calls.slice(0, 5));
    expect(done.every((r) => r.ok && r.value.startsWith('$argon2id$'))).toBe(true);
    expect(seen).toEqual({ started: 5, running: 0, peak: 2 });
    expect(hasher.load).toEqual({ running: 0, waiting: 0 });
  });

  it('verifies through the same cap, and an unknown account (null) still costs one verification of a decoy', async () => {
    const { work, seen, open } = gatedArgon2();
    open();
    const hasher = new PasswordHasher({ concurrency: 1, queue: 0 }, work);
    const stored = await hasher.hash('correct-Horse-42');
    if (!stored.ok) throw new Error(stored.detail);
    const [right, busy] = await Promise.all([hasher.verify(stored.value, 'correct-Horse-42'), hasher.verify(stored.value, 'x')]);
    expect(right).toEqual({ ok: true, value: true });
    expect(busy).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    expect(await hasher.verify(stored.value, 'wrong-Horse-42')).toEqual({ ok: true, value: false });
    const before = seen.started;
    expect(await hasher.verify(null, 'correct-Horse-42')).toEqual({ ok: true, value: false });
    expect(seen.started - before).toBe(2); // the decoy's hash, made once, and its verification
    expect(await hasher.verify(null, 'correct-Horse-42')).toEqual({ ok: true, value: false });
    expect(seen.started - before).toBe(3);
    expect(await hasher.verify('not a hash', 'correct-Horse-42')).toEqual({ ok: true, value: false });
  });
});
